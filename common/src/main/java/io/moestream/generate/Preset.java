package io.moestream.generate;

import io.moestream.model.NamingFamily;
import io.moestream.model.SharedExpertKind;
import io.moestream.routing.SpecName;

/**
 * The model families a generated checkpoint imitates, with the real sizes of one released model of
 * each at {@link Scale#FULL}, and the routing imbalance it is tuned to show.
 *
 * <p>The imbalance is the busiest expert's load over the mean load when the bundled corpus,
 * tokenized by the model's own generated tokenizer, is routed dropless through the first layer's
 * router ({@link CorpusLoads}). The targets: OLMoE 4-7x and Mixtral 1.5-3x, as measured on the
 * real models; Qwen1.5-MoE and DeepSeek-V2-Lite 3-6x, a choice: they have many fine-grained
 * experts like OLMoE, but a shared expert takes the common part of every token, so their routed
 * load is set a little flatter than OLMoE's. Qwen3-30B-A3B 4-7x, also a choice: fine-grained
 * experts and no shared expert, as OLMoE. Each preset's default skew lands inside its band on the
 * bundled corpus at every scale and for the default seed.
 */
public enum Preset {
    /** Mixtral-8x7B: 8 experts, top-2, renormalised top-k weights. */
    MIXTRAL_LIKE("mixtral", NamingFamily.MIXTRAL, SharedExpertKind.NONE, SpecialTokens.MIXTRAL,
            4096, 14336, 8, 2, true, 0, 14336, new Heads(32, 8, 128), 32000, 0.8, 1.5, 3.0),
    /** OLMoE-1B-7B-0924: 64 small experts, top-8, raw softmax weights, q/k norms over all heads. */
    OLMOE_LIKE("olmoe", NamingFamily.MLP, SharedExpertKind.NONE, SpecialTokens.OLMOE,
            2048, 1024, 64, 8, false, 0, 1024, new Heads(16, 16, 128), 50304, 0.7, 4.0, 7.0),
    /** Qwen1.5-MoE-A2.7B: 60 experts, top-4, one gated shared expert of 5632, q/k/v biases. */
    QWEN_MOE_LIKE("qwen2_moe", NamingFamily.MLP, SharedExpertKind.QWEN2_MOE, SpecialTokens.QWEN2,
            2048, 1408, 60, 4, false, 5632, 5632, new Heads(16, 16, 128), 151936, 0.42, 3.0, 6.0),
    /** Qwen3-30B-A3B: 128 experts, top-8, renormalised, per-head q/k norms, head_dim 128 beside hidden 2048. */
    QWEN3_MOE_LIKE("qwen3_moe", NamingFamily.MLP, SharedExpertKind.NONE, SpecialTokens.QWEN3,
            2048, 768, 128, 8, true, 0, 6144, new Heads(32, 4, 128), 151936, 0.37, 4.0, 7.0),
    /**
     * DeepSeek-V2-Lite: 64 routed experts, top-6, two shared experts stored fused (2 x 1408),
     * multi-head latent attention. {@link #heads()} is its 16 heads of 128 (qk_nope_head_dim and
     * v_head_dim); {@link ModelSpec#latentAttention()} has the rest of its attention's sizes.
     */
    DEEPSEEK_LIKE("deepseek_v2", NamingFamily.MLP, SharedExpertKind.DEEPSEEK_V2, SpecialTokens.DEEPSEEK_V2,
            2048, 1408, 64, 6, false, 2 * 1408, 10944, new Heads(16, 16, 128), 102400, 0.48, 3.0, 6.0);

    /**
     * Attention heads at full scale.
     *
     * @param query {@code num_attention_heads}
     * @param keyValue {@code num_key_value_heads}
     * @param dim the width of one head
     */
    record Heads(int query, int keyValue, int dim) {
    }

    private final String modelType;
    private final NamingFamily family;
    private final SharedExpertKind sharedExpert;
    private final SpecialTokens specialTokens;
    private final int hidden;
    private final int expertFfn;
    private final int experts;
    private final int topK;
    private final boolean normTopkProb;
    private final int sharedFfn;
    private final int denseFfn;
    private final Heads heads;
    private final int vocabSize;
    private final double defaultSkew;
    private final double targetLow;
    private final double targetHigh;

    Preset(String modelType, NamingFamily family, SharedExpertKind sharedExpert, SpecialTokens specialTokens,
           int hidden, int expertFfn, int experts, int topK, boolean normTopkProb, int sharedFfn, int denseFfn,
           Heads heads, int vocabSize, double defaultSkew, double targetLow, double targetHigh) {
        this.modelType = modelType;
        this.family = family;
        this.sharedExpert = sharedExpert;
        this.specialTokens = specialTokens;
        this.hidden = hidden;
        this.expertFfn = expertFfn;
        this.experts = experts;
        this.topK = topK;
        this.normTopkProb = normTopkProb;
        this.sharedFfn = sharedFfn;
        this.denseFfn = denseFfn;
        this.heads = heads;
        this.vocabSize = vocabSize;
        this.defaultSkew = defaultSkew;
        this.targetLow = targetLow;
        this.targetHigh = targetHigh;
    }

    /** The name on the command line. */
    public String label() {
        return SpecName.of(this);
    }

    /** config.json's {@code model_type}. */
    public String modelType() {
        return modelType;
    }

    public NamingFamily family() {
        return family;
    }

    public SharedExpertKind sharedExpert() {
        return sharedExpert;
    }

    SpecialTokens specialTokens() {
        return specialTokens;
    }

    /** {@code d} at full scale. */
    public int hidden() {
        return hidden;
    }

    /** A routed expert's inner size at full scale. */
    public int expertFfn() {
        return expertFfn;
    }

    public int experts() {
        return experts;
    }

    public int topK() {
        return topK;
    }

    /** Whether the top-k gate weights are renormalised to sum to 1 (Mixtral always, Qwen3-30B-A3B by its config). */
    public boolean normTopkProb() {
        return normTopkProb;
    }

    /** The shared expert's inner size at full scale (all shared experts fused); 0 without one. */
    public int sharedFfn() {
        return sharedFfn;
    }

    /** config.json's {@code intermediate_size} at full scale: the dense FFN (the expert FFN where there is none). */
    public int denseFfn() {
        return denseFfn;
    }

    Heads heads() {
        return heads;
    }

    /** The released model's {@code vocab_size}, which a full-scale model keeps. */
    public int vocabSize() {
        return vocabSize;
    }

    /** Whether the family makes layers dense with {@code mlp_only_layers} (the Qwen MoE families). */
    boolean hasMlpOnlyLayers() {
        return this == QWEN_MOE_LIKE || this == QWEN3_MOE_LIKE;
    }

    /** The skew whose corpus load lands in {@link #targetLow()}..{@link #targetHigh()}. */
    public double defaultSkew() {
        return defaultSkew;
    }

    /** Lower end of the busiest-over-mean load band this preset imitates. */
    public double targetLow() {
        return targetLow;
    }

    /** Upper end of the busiest-over-mean load band this preset imitates. */
    public double targetHigh() {
        return targetHigh;
    }
}
