package io.moestream.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE vocabulary and its merges, as {@link BpeTrainer} learns them, with an encoder
 * written in Java that tokenizes exactly as the Hugging Face {@code tokenizers} library does with
 * the {@code tokenizer.json} that {@link #writeTokenizerJson} writes: so code that generates or
 * checks models tokenizes without loading the native library. (Two edges differ: a lone UTF-16
 * surrogate, which Java encodes as {@code ?} and the library as U+FFFD, and characters newer than
 * the JDK's Unicode version, see {@link ByteLevel}.)
 *
 * <p>Ids: the special tokens first, in the order given ({@code 0..s-1}); then the 256 byte
 * symbols in byte order ({@code s..s+255}); then one id for each merge whose token is new, in merge
 * order. Two merges may spell the same token ({@code "ab"+"c"} and {@code "a"+"bc"}); the second
 * reuses the first one's id, as the library's trainer does, so there can be more merges than ids.
 *
 * <p>Immutable and thread-safe.
 */
public final class TrainedBpe {

    /** One learned merge: the tokens {@code left} and {@code right} become {@code result}. */
    record Merge(int left, int right, int result) {
    }

    private final List<String> specialTokens;
    private final List<String> tokens;
    private final List<Merge> merges;
    private final Map<String, Integer> ids;
    /** Rank (the merge's index) of each mergeable pair, keyed by {@link #pair}. */
    private final Map<Long, Integer> ranks;

    /**
     * @param merges each pair of token ids, in the order they were learned; the ids refer to the
     *        specials, the bytes and the results of earlier merges
     */
    TrainedBpe(List<String> specialTokens, List<int[]> merges) {
        this.specialTokens = List.copyOf(specialTokens);
        List<String> tokens = new ArrayList<>(specialTokens);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            if (ids.putIfAbsent(tokens.get(i), i) != null) {
                throw new IllegalArgumentException("special token " + tokens.get(i) + " is listed twice");
            }
        }
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteLevel.charOf(b));
            if (ids.putIfAbsent(symbol, tokens.size()) != null) {
                throw new IllegalArgumentException("special token " + symbol + " is also the symbol of byte " + b);
            }
            tokens.add(symbol);
        }
        List<Merge> resolved = new ArrayList<>(merges.size());
        Map<Long, Integer> ranks = new HashMap<>();
        for (int[] pair : merges) {
            String spelled = tokens.get(pair[0]) + tokens.get(pair[1]);
            Integer result = ids.get(spelled);
            if (result == null) {
                result = tokens.size();
                ids.put(spelled, result);
                tokens.add(spelled);
            } else if (result < specialTokens.size()) {
                throw new IllegalArgumentException("merge " + tokens.get(pair[0]) + " + " + tokens.get(pair[1])
                        + " would spell the special token " + spelled);
            }
            if (ranks.putIfAbsent(pair(pair[0], pair[1]), resolved.size()) != null) {
                throw new IllegalArgumentException("merge " + tokens.get(pair[0]) + " + " + tokens.get(pair[1])
                        + " is listed twice");
            }
            resolved.add(new Merge(pair[0], pair[1], result));
        }
        this.tokens = Collections.unmodifiableList(tokens);
        this.merges = List.copyOf(resolved);
        this.ids = ids;
        this.ranks = ranks;
    }

    /** Ids, specials included, as {@link #encode} and the library count them. */
    public int vocabularySize() {
        return tokens.size();
    }

    public List<String> specialTokens() {
        return specialTokens;
    }

    /** How many merges were learned (at least {@code vocabularySize() - specials - 256}). */
    public int mergeCount() {
        return merges.size();
    }

    /** The id of a token, such as a special token; bytes and merged tokens are spelled byte-level. */
    public int tokenId(String token) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new IllegalArgumentException("\"" + token + "\" is not a token of this vocabulary");
        }
        return id;
    }

    /** The token of an id, byte-level spelled for bytes and merges. */
    public String token(int id) {
        if (id < 0 || id >= tokens.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + tokens.size() + ")");
        }
        return tokens.get(id);
    }

    /**
     * Token ids of {@code text} as the library encodes it without special tokens added: special-token
     * markup in the text becomes that special token (the longest one that starts at the earliest
     * place), every other stretch is pre-tokenized with GPT-2's expression and each piece merged by
     * rank, the lowest rank first and, among equal ones, the leftmost first.
     */
    public int[] encode(String text) {
        IntList out = new IntList();
        for (SpecialTokenSplit.Part part : SpecialTokenSplit.split(text, specialTokens)) {
            if (part.special()) {
                out.add(ids.get(part.text()));
            } else {
                for (String piece : ByteLevel.pieces(part.text())) {
                    encodePiece(piece, out);
                }
            }
        }
        return out.toArray();
    }

    /**
     * The text of {@code ids}, special tokens left out; bytes that are not valid UTF-8 (a
     * character cut short) come out as U+FFFD, as the library's decoder does.
     */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            String token = token(id);
            if (id >= specialTokens.size()) {
                for (char c : token.toCharArray()) {
                    bytes.write(ByteLevel.byteOf(c));
                }
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * Writes the vocabulary as a Hugging Face {@code tokenizer.json}: ByteLevel pre-tokenizer and
     * decoder, a BPE model, the special tokens as added tokens, and, when {@code bosToken} is not
     * null, a TemplateProcessing post-processor that puts that special token first.
     *
     * @param bosToken one of {@link #specialTokens()}, or null for no beginning-of-sequence token
     */
    public void writeTokenizerJson(Path file, String bosToken) throws IOException {
        if (bosToken != null && !specialTokens.contains(bosToken)) {
            throw new IllegalArgumentException("the BOS token " + bosToken + " is not one of the special tokens "
                    + specialTokens);
        }
        Files.writeString(file, TokenizerJson.write(this, bosToken), StandardCharsets.UTF_8);
    }

    List<String> tokens() {
        return tokens;
    }

    List<Merge> merges() {
        return merges;
    }

    /**
     * Merges one piece as the library's BPE model does: the adjacent pair of the lowest rank,
     * the leftmost among equals, one occurrence at a time, until no pair has a merge.
     */
    private void encodePiece(String piece, IntList out) {
        int[] symbols = new int[piece.length()];
        for (int i = 0; i < symbols.length; i++) {
            symbols[i] = specialTokens.size() + ByteLevel.byteOf(piece.charAt(i));
        }
        int length = symbols.length;
        while (length > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestAt = -1;
            for (int i = 0; i + 1 < length; i++) {
                Integer rank = ranks.get(pair(symbols[i], symbols[i + 1]));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    bestAt = i;
                }
            }
            if (bestAt < 0) {
                break;
            }
            symbols[bestAt] = merges.get(bestRank).result();
            System.arraycopy(symbols, bestAt + 2, symbols, bestAt + 1, length - bestAt - 2);
            length--;
        }
        for (int i = 0; i < length; i++) {
            out.add(symbols[i]);
        }
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** A growable int array, to spare boxing every token id. */
    static final class IntList {
        private int[] values = new int[16];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
