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
 * @param headDim width of one head; {@code head_dim} where the config has it (Qwen3-MoE), else hidden / heads
 * @param ropeTheta base of the rotary embedding's frequencies
 * @param rmsNormEps epsilon of every RMSNorm
 * @param maxPositionEmbeddings the longest sequence the model takes
 * @param tieWordEmbeddings whether the output head is the embedding table ({@code lm_head.weight} absent)
 * @param qkvBias whether the q, k and v projections have biases (Qwen2-MoE)
 * @param qkNorm how queries and keys are normalised
 * @param clipQkv OLMoE's {@code clip_qkv}: q, k and v are clamped to {@code [-clip, clip]}; 0 for none
 * @param denseFfnSize {@code intermediate_size} of the plain MLP of dense layers; 0 when the model has none
 * @param slidingWindow Mixtral's {@code sliding_window}: a token attends to at most this many positions; 0 for none
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

    /** Width of all query heads together. */
    public int queryWidth() {
        return numAttentionHeads * headDim;
    }

    /** Width of all key (or value) heads together: what one token adds to a layer's cache, per tensor. */
    public int keyValueWidth() {
        return numKeyValueHeads * headDim;
    }

    /** Bytes one token adds to the KV cache of one layer: keys and values, F32. */
    public long kvCacheBytesPerTokenPerLayer() {
        return 2L * keyValueWidth() * Float.BYTES;
    }
}
