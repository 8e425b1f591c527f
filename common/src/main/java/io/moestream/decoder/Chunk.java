package io.moestream.decoder;

/**
 * New tokens of one sequence in a step: a whole prompt at prefill, one token at decode.
 *
 * @param tokens ids, appended at the sequence's next positions
 */
public record Chunk(Sequence sequence, int[] tokens) {

    public Chunk {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a chunk needs at least one token");
        }
    }
}
