package io.moestream.text;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Decodes generated tokens one at a time into the text they complete, for printing as they come.
 *
 * <p>A byte-level tokenizer can cut a character's UTF-8 bytes over several tokens, and some
 * decoders change a token's text by what precedes it (a SentencePiece tokenizer drops the leading
 * space of the first word). So each step decodes a window that starts a little before the new
 * token, once without and once with it, and returns what the new token adds; while that ends in
 * U+FFFD, the replacement for a character cut short, the text is held back until a later token
 * completes it. Concatenating every {@link #push} and then {@link #finish} gives the decoding of
 * all the tokens at once.
 *
 * <p>One stream per generated sequence; not thread-safe.
 */
public final class TextStream {

    private static final char REPLACEMENT = '\uFFFD';

    private final Function<int[], String> decoder;
    private int[] ids = new int[64];
    private int size;
    /** Where the window decoded at each step begins: the token after the text emitted before the last emission. */
    private int windowStart;
    /** The tokens whose text has been emitted: {@code [0, emitted)}. */
    private int emitted;

    /** @param decoder ids to text, such as {@link ModelTokenizer#decode} or {@link TrainedBpe#decode} */
    public TextStream(Function<int[], String> decoder) {
        this.decoder = decoder;
    }

    /** Adds the next token; returns the text it completes, possibly empty. */
    public String push(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
        String added = addedText();
        if (added.isEmpty() || added.charAt(added.length() - 1) == REPLACEMENT) {
            return "";
        }
        windowStart = emitted;
        emitted = size;
        return added;
    }

    /** The text held back at the end, such as the bytes of a character the last tokens cut short. */
    public String finish() {
        String rest = addedText();
        windowStart = emitted;
        emitted = size;
        return rest;
    }

    private String addedText() {
        String before = decoder.apply(Arrays.copyOfRange(ids, windowStart, emitted));
        String after = decoder.apply(Arrays.copyOfRange(ids, windowStart, size));
        return after.length() > before.length() ? after.substring(before.length()) : "";
    }
}
