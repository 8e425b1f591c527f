package io.moestream.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level pre-tokenization, as the Hugging Face {@code ByteLevel} pre-tokenizer does it
 * with {@code add_prefix_space=false, use_regex=true}: split the text with GPT-2's regular
 * expression, then spell each piece's UTF-8 bytes with one printable character per byte.
 *
 * <p>The printable spelling ({@code bytes_to_unicode} in GPT-2's encoder) keeps the bytes of
 * {@code !..~}, {@code ¡..¬} and {@code ®..ÿ} as the characters of the same code, and moves every
 * other byte, in byte order, to U+0100 onwards; so a space is {@code Ġ} and a newline {@code Ċ}.
 *
 * <p>The library runs the expression with Oniguruma, whose {@code \s}, {@code \p{L}} and
 * {@code \p{N}} follow Unicode; Java's match the same sets with {@link Pattern#UNICODE_CHARACTER_CLASS},
 * up to characters that a newer Unicode version than the JDK's assigned.
 */
final class ByteLevel {

    /** GPT-2's split expression; the alternatives are tried in this order, leftmost first. */
    private static final Pattern SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE;

    static {
        int moved = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : 256 + moved++);
        }
        CHAR_TO_BYTE = new int[256 + moved];
        Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    private ByteLevel() {
    }

    /** The printable character that spells byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b];
    }

    /** The byte a printable character spells, or -1 for a character outside the spelling. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * The pieces of {@code text}, each spelled byte by byte. Text between two matches (the
     * expression leaves none, but the library keeps any as a piece of its own) is kept too.
     */
    static List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher matcher = SPLIT.matcher(text);
        int end = 0;
        while (matcher.find()) {
            if (matcher.start() > end) {
                pieces.add(spell(text.substring(end, matcher.start())));
            }
            pieces.add(spell(matcher.group()));
            end = matcher.end();
        }
        if (end < text.length()) {
            pieces.add(spell(text.substring(end)));
        }
        return pieces;
    }

    /** The UTF-8 bytes of {@code text}, one printable character each. */
    static String spell(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }
}
