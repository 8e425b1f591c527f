package io.moestream.decoder;

/**
 * How a family turns a step's normed hidden states into the queries, keys and values that
 * {@link Attention} caches and attends over, rotary embedding applied: the q/k/v projections of
 * grouped-query attention ({@link GroupedQkv}) or DeepSeek-V2's latent ones ({@link LatentQkv}).
 */
interface QkvProjection extends AutoCloseable {

    /** Query heads; key/value heads divide them. */
    int heads();

    int keyValueHeads();

    /** Width of one query or key head: what a score is the dot product over. */
    int keyDim();

    /** Width of one value head. */
    int valueDim();

    /**
     * @param h {@code [tokens][hidden]}
     * @param positionOf each token's position in its sequence, for the rotary embedding
     * @return {@code queries [tokens][heads * keyDim]}, {@code keys [tokens][keyValueHeads * keyDim]} and
     *         {@code values [tokens][keyValueHeads * valueDim]}, in that order
     */
    float[][] project(float[] h, int tokens, int[] positionOf);

    @Override
    void close();
}
