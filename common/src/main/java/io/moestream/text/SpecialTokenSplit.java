package io.moestream.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts special-token markup out of a text the way the library's added vocabulary does before any
 * pre-tokenization: at each point the earliest occurrence of any special token, the longest one
 * where several start there.
 */
final class SpecialTokenSplit {

    /** A stretch of the text: either one special token or ordinary text between them. */
    record Part(String text, boolean special) {
    }

    private SpecialTokenSplit() {
    }

    static List<Part> split(String text, List<String> specialTokens) {
        List<Part> parts = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int at = text.length();
            String special = null;
            for (String candidate : specialTokens) {
                int found = text.indexOf(candidate, from);
                if (found >= 0 && (found < at || (found == at && candidate.length() > special.length()))) {
                    at = found;
                    special = candidate;
                }
            }
            if (at > from) {
                parts.add(new Part(text.substring(from, at), false));
            }
            if (special == null) {
                break;
            }
            parts.add(new Part(special, true));
            from = at + special.length();
        }
        return parts;
    }
}
