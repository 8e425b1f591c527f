package io.moestream.model;

/** One layer's self-attention weights: grouped-query attention, or DeepSeek-V2's latent attention. */
public sealed interface SelfAttentionWeights permits AttentionWeights, LatentAttentionWeights {
}
