package io.moestream.model;

import io.moestream.expert.ExpertWeights;

/**
 * One decoder layer: norms, attention, and either an MoE block or a dense SwiGLU MLP.
 *
 * @param inputNorm the RMSNorm weight before attention ({@code input_layernorm})
 * @param attention grouped-query ({@link AttentionWeights}) or latent ({@link LatentAttentionWeights})
 * @param postAttentionNorm the RMSNorm weight before the feed-forward block
 * @param moe the MoE block, or {@code null} for a dense layer
 * @param dense the plain MLP of a dense layer, or {@code null} for an MoE layer
 */
public record DecoderLayerWeights(int layer, float[] inputNorm, SelfAttentionWeights attention, float[] postAttentionNorm,
                                  MoeLayerWeights moe, ExpertWeights dense) {

    public DecoderLayerWeights {
        if ((moe == null) == (dense == null)) {
            throw new IllegalArgumentException("layer " + layer + " needs exactly one of an MoE block and a dense MLP");
        }
    }
}
