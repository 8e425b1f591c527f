package io.moestream.generate;

import io.moestream.model.NamingFamily;
import io.moestream.model.SharedExpertKind;
import io.moestream.routing.SpecName;

/**
 * The model families a generated checkpoint imitates, with the real sizes of one released model of
 * each at {@link Scale#FULL}, and the routing imbalance it is tuned to show.
 *
 * <p>The imbalance is the busiest expert's load over the mean load when the bundled corpus is
 * routed dropless through the generated layer ({@link CorpusLoads}). The targets: OLMoE 4-7x and
 * Mixtral 1.5-3x, as measured on the real models; Qwen1.5-MoE and DeepSeek-V2-Lite 3-6x, a choice:
 * they have many fine-grained experts like OLMoE, but a shared expert takes the common part of
 * every token, so their routed load is set a little flatter than OLMoE's. Each preset's default
 * skew lands inside its band on the bundled corpus at every scale and for the default seed.
 */
public enum Preset {
    /** Mixtral-8x7B: 8 experts, top-2, renormalised top-k weights. */
    MIXTRAL_LIKE("mixtral", NamingFamily.MIXTRAL, SharedExpertKind.NONE,
            4096, 14336, 8, 2, 0, 14336, 0.8, 1.5, 3.0),
    /** OLMoE-1B-7B: 64 small experts, top-8, raw softmax weights. */
    OLMOE_LIKE("olmoe", NamingFamily.MLP, SharedExpertKind.NONE,
            2048, 1024, 64, 8, 0, 1024, 0.7, 4.0, 7.0),
    /** Qwen1.5-MoE-A2.7B: 60 experts, top-4, one gated shared expert of 5632. */
    QWEN_MOE_LIKE("qwen2_moe", NamingFamily.MLP, SharedExpertKind.QWEN2_MOE,
            2048, 1408, 60, 4, 5632, 5632, 0.42, 3.0, 6.0),
    /** DeepSeek-V2-Lite: 64 routed experts, top-6, two shared experts stored fused (2 x 1408). */
    DEEPSEEK_LIKE("deepseek_v2", NamingFamily.MLP, SharedExpertKind.DEEPSEEK_V2,
            2048, 1408, 64, 6, 2 * 1408, 10944, 0.48, 3.0, 6.0);

    private final String modelType;
    private final NamingFamily family;
    private final SharedExpertKind sharedExpert;
    private final int hidden;
    private final int expertFfn;
    private final int experts;
    private final int topK;
    private final int sharedFfn;
    private final int denseFfn;
    private final double defaultSkew;
    private final double targetLow;
    private final double targetHigh;

    Preset(String modelType, NamingFamily family, SharedExpertKind sharedExpert, int hidden,
           int expertFfn, int experts, int topK, int sharedFfn, int denseFfn, double defaultSkew, double targetLow,
           double targetHigh) {
        this.modelType = modelType;
        this.family = family;
        this.sharedExpert = sharedExpert;
        this.hidden = hidden;
        this.expertFfn = expertFfn;
        this.experts = experts;
        this.topK = topK;
        this.sharedFfn = sharedFfn;
        this.denseFfn = denseFfn;
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

    /** The shared expert's inner size at full scale (all shared experts fused); 0 without one. */
    public int sharedFfn() {
        return sharedFfn;
    }

    /** config.json's {@code intermediate_size} at full scale: the dense FFN (the expert FFN where there is none). */
    public int denseFfn() {
        return denseFfn;
    }

    /** Mixtral renormalises the top-k gate weights; the others use the raw softmax. */
    public boolean normTopkProb() {
        return family == NamingFamily.MIXTRAL;
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
