package io.moestream.model;

import java.nio.file.Path;
import java.util.Collections;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * What running a whole decoder model needs beyond its MoE layers ({@link #moe()}): attention,
 * norms, positions, embeddings and special tokens, read from config.json. Where a key is optional
 * its default is the one of transformers' config class for that {@code model_type}.
 *
 * @param moe the MoE layers' settings, and the layer count, width and vocabulary
 * @param numAttentionHeads query heads
 * @param numKeyValueHeads key/value heads; queries share them in groups (grouped-query attention)
 * @param headDim width of one head; {@code head_dim} where the config has it (Qwen3-MoE), else hidden / heads;
 *        with latent attention the rotary part's width, {@code qk_rope_head_dim}, as transformers sets it
 * @param ropeTheta base of the rotary embedding's frequencies
 * @param rmsNormEps epsilon of every RMSNorm
 * @param maxPositionEmbeddings the longest sequence the model takes
 * @param tieWordEmbeddings whether the output head is the embedding table ({@code lm_head.weight} absent)
 * @param qkvBias whether the q, k and v projections have biases (Qwen2-MoE)
 * @param qkNorm how queries and keys are normalised
 * @param clipQkv OLMoE's {@code clip_qkv}: q, k and v are clamped to {@code [-clip, clip]}; 0 for none
 * @param denseFfnSize {@code intermediate_size} of the plain MLP of dense layers; 0 when the model has none
 * @param slidingWindow Mixtral's {@code sliding_window}: a token attends to at most this many positions; 0 for none
 * @param latentAttention DeepSeek-V2's multi-head latent attention, which replaces q/k/v projections;
 *        {@code null} for grouped-query attention
 * @param routedScalingFactor DeepSeek-V2's {@code routed_scaling_factor} on the routed experts' weights; 1 elsewhere
 * @param bosTokenId the beginning-of-sequence token, if the config names one
 * @param eosTokenIds the tokens that end generation
 */
public record DecoderConfig(
        ModelConfig moe,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double ropeTheta,
        double rmsNormEps,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        QkNorm qkNorm,
        double clipQkv,
        int denseFfnSize,
        int slidingWindow,
        LatentAttentionConfig latentAttention,
        double routedScalingFactor,
        OptionalInt bosTokenId,
        Set<Integer> eosTokenIds) {

    public DecoderConfig {
        if (numAttentionHeads < 1 || numKeyValueHeads < 1 || numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numAttentionHeads
                    + ") must be a positive multiple of num_key_value_heads (" + numKeyValueHeads + ")");
        }
        if (headDim < 2 || headDim % 2 != 0) {
            throw new IllegalArgumentException("the head dimension must be even and >= 2 for the rotary embedding, got "
                    + headDim);
        }
        if (moe.numHiddenLayers() < 1 || moe.vocabSize() < 1 || maxPositionEmbeddings < 1) {
            throw new IllegalArgumentException("num_hidden_layers, vocab_size and max_position_embeddings must be positive");
        }
        if (latentAttention != null && numKeyValueHeads != numAttentionHeads) {
            throw new IllegalArgumentException("multi-head latent attention gives every head its own keys and values:"
                    + " num_key_value_heads (" + numKeyValueHeads + ") must equal num_attention_heads ("
                    + numAttentionHeads + ")");
        }
        if (latentAttention != null && headDim != latentAttention.qkRopeHeadDim()) {
            throw new IllegalArgumentException("with latent attention the rotary head dimension is qk_rope_head_dim "
                    + latentAttention.qkRopeHeadDim() + ", got " + headDim);
        }
        if (!(routedScalingFactor > 0) || Double.isInfinite(routedScalingFactor)) {
            throw new IllegalArgumentException("routed_scaling_factor must be a positive number, got " + routedScalingFactor);
        }
        if (!moe.denseLayers().isEmpty() && denseFfnSize < 1) {
            throw new IllegalArgumentException("dense layers " + moe.denseLayers() + " need a positive intermediate_size");
        }
        eosTokenIds = Collections.unmodifiableSet(new TreeSet<>(eosTokenIds));
    }

    /** Reads {@code modelDirectory}/config.json; fails naming the file when it is absent or describes no decoder this engine runs. */
    public static DecoderConfig read(Path modelDirectory) {
        return DecoderConfigJson.parse(modelDirectory.resolve(ModelConfig.FILE));
    }

    public int hiddenSize() {
        return moe.hiddenSize();
    }

    public int numHiddenLayers() {
        return moe.numHiddenLayers();
    }

    public int vocabSize() {
        return moe.vocabSize();
    }

    /** Width of all query heads together, in grouped-query attention. */
    public int queryWidth() {
        return numAttentionHeads * headDim;
    }

    /** Width of all key (or value) heads together, in grouped-query attention. */
    public int keyValueWidth() {
        return numKeyValueHeads * headDim;
    }

    /**
     * What one token adds to a layer's key cache: the key heads of grouped-query attention, or with
     * latent attention every head's decompressed key, {@code heads * (qk_nope_head_dim + qk_rope_head_dim)}
     * (the shared rotary part repeated per head, so that attention reads keys as the other families do).
     */
    public int cacheKeyWidth() {
        return latentAttention == null ? keyValueWidth() : numAttentionHeads * latentAttention.qkHeadDim();
    }

    /** What one token adds to a layer's value cache: the value heads, {@code heads * v_head_dim} with latent attention. */
    public int cacheValueWidth() {
        return latentAttention == null ? keyValueWidth() : numAttentionHeads * latentAttention.vHeadDim();
    }

    /** Bytes one token adds to the KV cache of one layer: keys and values, F32. */
    public long kvCacheBytesPerTokenPerLayer() {
        return ((long) cacheKeyWidth() + cacheValueWidth()) * Float.BYTES;
    }
}
