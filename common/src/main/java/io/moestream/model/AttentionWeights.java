package io.moestream.model;

/**
 * One layer's self-attention, row-major {@code [out][in]} as checkpoints store it.
 *
 * @param q {@code [heads * head_dim][hidden]}
 * @param k {@code [kv_heads * head_dim][hidden]}
 * @param v {@code [kv_heads * head_dim][hidden]}
 * @param o {@code [hidden][heads * head_dim]}
 * @param qBias {@code [heads * head_dim]}, or {@code null} (likewise kBias and vBias)
 * @param qNorm the query norm's weight ({@link QkNorm}), or {@code null} (likewise kNorm)
 */
public record AttentionWeights(float[] q, float[] k, float[] v, float[] o,
                               float[] qBias, float[] kBias, float[] vBias,
                               float[] qNorm, float[] kNorm) implements SelfAttentionWeights {
}
