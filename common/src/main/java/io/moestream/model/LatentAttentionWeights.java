package io.moestream.model;

/**
 * One layer's multi-head latent attention (DeepSeek-V2), row-major {@code [out][in]} as checkpoints
 * store it; {@code qk = qk_nope_head_dim + qk_rope_head_dim}. Queries come from {@code q}, or from
 * {@code qA}, {@code qANorm} and {@code qB} when the config has a {@code q_lora_rank}; the unused
 * ones are {@code null}.
 *
 * @param q {@code q_proj}, {@code [heads * qk][hidden]}
 * @param qA {@code q_a_proj}, {@code [q_lora_rank][hidden]}
 * @param qANorm {@code q_a_layernorm}, {@code [q_lora_rank]}
 * @param qB {@code q_b_proj}, {@code [heads * qk][q_lora_rank]}
 * @param kvA {@code kv_a_proj_with_mqa}, {@code [kv_lora_rank + qk_rope_head_dim][hidden]}
 * @param kvANorm {@code kv_a_layernorm}, {@code [kv_lora_rank]}
 * @param kvB {@code kv_b_proj}, {@code [heads * (qk_nope_head_dim + v_head_dim)][kv_lora_rank]}
 * @param o {@code o_proj}, {@code [hidden][heads * v_head_dim]}
 */
public record LatentAttentionWeights(float[] q, float[] qA, float[] qANorm, float[] qB,
                                     float[] kvA, float[] kvANorm, float[] kvB, float[] o)
        implements SelfAttentionWeights {
}
