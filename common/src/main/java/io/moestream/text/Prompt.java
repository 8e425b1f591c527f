package io.moestream.text;

/**
 * One prompt of a {@link Corpus}.
 *
 * @param id unique within its corpus
 * @param domain a free-form label such as {@code cooking} or {@code code-rust}
 * @param text the prompt itself, never blank
 */
public record Prompt(String id, String domain, String text) {

    public Prompt {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a prompt needs a non-blank id");
        }
        if (domain == null || domain.isBlank()) {
            throw new IllegalArgumentException("prompt " + id + " needs a non-blank domain");
        }
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("prompt " + id + " is blank");
        }
    }
}
