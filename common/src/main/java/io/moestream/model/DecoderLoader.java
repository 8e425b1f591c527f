package io.moestream.model;

import io.moestream.expert.ExpertWeights;

import java.util.Map;
import java.util.Set;

/**
 * Loads a whole decoder model from a Hugging Face checkpoint. Every tensor's shape is checked
 * against config.json before its data is read, and every value used is checked to be finite: a
 * NaN in one expert would otherwise surface, much later, as NaN logits with no clue where from.
 */
public final class DecoderLoader {

    private final Checkpoint checkpoint;
    private final DecoderConfig config;
    private final boolean routedExperts;

    /** Reads from {@code checkpoint}, which must stay open while this loader is used. */
    public DecoderLoader(Checkpoint checkpoint, DecoderConfig config) {
        this(checkpoint, config, true);
    }

    private DecoderLoader(Checkpoint checkpoint, DecoderConfig config, boolean routedExperts) {
        this.routedExperts = routedExperts;
        this.checkpoint = checkpoint;
        this.config = config;
    }

    /**
     * A loader that reads no routed expert's weights, most of an MoE checkpoint: for a process whose routed
     * experts are computed elsewhere (the dense worker, whose experts are on the expert services).
     */
    public static DecoderLoader withoutRoutedExperts(Checkpoint checkpoint, DecoderConfig config) {
        return new DecoderLoader(checkpoint, config, false);
    }

    public DecoderConfig config() {
        return config;
    }

    /** {@code model.embed_tokens.weight}, {@code [vocab][hidden]}. */
    public float[] embedTokens() {
        return matrix("model.embed_tokens.weight", config.vocabSize(), config.hiddenSize());
    }

    /** {@code model.norm.weight}. */
    public float[] finalNorm() {
        return matrix("model.norm.weight", config.hiddenSize());
    }

    /** The output head: {@code embedTokens} itself when the model ties them, else {@code lm_head.weight}. */
    public float[] lmHead(float[] embedTokens) {
        return config.tieWordEmbeddings() ? embedTokens : matrix("lm_head.weight", config.vocabSize(), config.hiddenSize());
    }

    /** Decoder layer {@code layer}: its norms, attention, and MoE block or dense MLP. */
    public DecoderLayerWeights layer(int layer) {
        String prefix = "model.layers." + layer + ".";
        int d = config.hiddenSize();
        float[] inputNorm = matrix(prefix + "input_layernorm.weight", d);
        SelfAttentionWeights attention = config.latentAttention() == null ? attention(prefix + "self_attn.")
                : latentAttention(prefix + "self_attn.", config.latentAttention());
        float[] postNorm = matrix(prefix + "post_attention_layernorm.weight", d);
        ModelConfig moe = config.moe();
        if (moe.isMoeLayer(layer)) {
            MoeLayerWeights weights = MoeLayerLoader.load(checkpoint, moe, layer, routedExperts ? null : Set.of());
            requireFinite(weights);
            return new DecoderLayerWeights(layer, inputNorm, attention, postNorm, weights, null);
        }
        String mlp = prefix + "mlp.";
        int ffn = config.denseFfnSize();
        ExpertWeights dense = new ExpertWeights(d, ffn,
                matrix(mlp + "gate_proj.weight", ffn, d),
                matrix(mlp + "up_proj.weight", ffn, d),
                matrix(mlp + "down_proj.weight", d, ffn));
        return new DecoderLayerWeights(layer, inputNorm, attention, postNorm, null, dense);
    }

    private AttentionWeights attention(String prefix) {
        int d = config.hiddenSize();
        int q = config.queryWidth();
        int kv = config.keyValueWidth();
        boolean bias = config.qkvBias();
        float[] qNorm = null;
        float[] kNorm = null;
        switch (config.qkNorm()) {
            case WHOLE -> {
                qNorm = matrix(prefix + "q_norm.weight", q);
                kNorm = matrix(prefix + "k_norm.weight", kv);
            }
            case PER_HEAD -> {
                qNorm = matrix(prefix + "q_norm.weight", config.headDim());
                kNorm = matrix(prefix + "k_norm.weight", config.headDim());
            }
            case NONE -> { }
        }
        return new AttentionWeights(
                matrix(prefix + "q_proj.weight", q, d),
                matrix(prefix + "k_proj.weight", kv, d),
                matrix(prefix + "v_proj.weight", kv, d),
                matrix(prefix + "o_proj.weight", d, q),
                bias ? matrix(prefix + "q_proj.bias", q) : null,
                bias ? matrix(prefix + "k_proj.bias", kv) : null,
                bias ? matrix(prefix + "v_proj.bias", kv) : null,
                qNorm, kNorm);
    }

    /** DeepSeek-V2's tensors, with the shapes {@code DeepseekV2Attention} gives them. */
    private LatentAttentionWeights latentAttention(String prefix, LatentAttentionConfig mla) {
        int d = config.hiddenSize();
        int heads = config.numAttentionHeads();
        int queries = heads * mla.qkHeadDim();
        int rank = mla.qLoraRank();
        boolean compressed = mla.compressesQueries();
        return new LatentAttentionWeights(
                compressed ? null : matrix(prefix + "q_proj.weight", queries, d),
                compressed ? matrix(prefix + "q_a_proj.weight", rank, d) : null,
                compressed ? matrix(prefix + "q_a_layernorm.weight", rank) : null,
                compressed ? matrix(prefix + "q_b_proj.weight", queries, rank) : null,
                matrix(prefix + "kv_a_proj_with_mqa.weight", mla.kvLoraRank() + mla.qkRopeHeadDim(), d),
                matrix(prefix + "kv_a_layernorm.weight", mla.kvLoraRank()),
                matrix(prefix + "kv_b_proj.weight", heads * (mla.qkNopeHeadDim() + mla.vHeadDim()), mla.kvLoraRank()),
                matrix(prefix + "o_proj.weight", d, heads * mla.vHeadDim()));
    }

    private float[] matrix(String name, int... shape) {
        float[] values = checkpoint.tensor(name, shape).data();
        requireFinite(name, values);
        return values;
    }

    private void requireFinite(MoeLayerWeights weights) {
        NamingFamily names = config.moe().family();
        requireFinite(names.gate(weights.layer()), weights.gate());
        for (Map.Entry<Integer, ExpertWeights> expert : weights.experts().entrySet()) {
            ExpertWeights w = expert.getValue();
            int id = expert.getKey();
            requireFinite(names.expert(weights.layer(), id, Projection.W1), w.w1());
            requireFinite(names.expert(weights.layer(), id, Projection.W3), w.w3());
            requireFinite(names.expert(weights.layer(), id, Projection.W2), w.w2());
        }
        SharedExpertKind shared = config.moe().sharedExpert();
        for (ExpertWeights w : weights.sharedExperts()) {
            requireFinite(shared.tensor(weights.layer(), Projection.W1), w.w1());
            requireFinite(shared.tensor(weights.layer(), Projection.W3), w.w3());
            requireFinite(shared.tensor(weights.layer(), Projection.W2), w.w2());
        }
        weights.sharedExpertGate().ifPresent(gate -> requireFinite(shared.gateTensor(weights.layer()), gate));
    }

    private void requireFinite(String name, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new CheckpointException(checkpoint.directory(), name, "value " + i + " is " + values[i]
                        + "; weights must be finite");
            }
        }
    }
}
