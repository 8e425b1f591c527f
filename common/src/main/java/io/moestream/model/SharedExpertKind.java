package io.moestream.model;

/**
 * Whether an MoE layer also has a shared expert, a dense SwiGLU FFN every token goes through, and
 * how it is named and mixed in. Both kinds exist only in the {@link NamingFamily#MLP} family.
 */
public enum SharedExpertKind {
    /** Mixtral, Qwen3-MoE, OLMoE: routed experts only. */
    NONE(null),
    /**
     * Qwen2-MoE: {@code mlp.shared_expert.{gate_proj,up_proj,down_proj}}, its output scaled by
     * {@code sigmoid(x . w)} with {@code w = mlp.shared_expert_gate.weight} {@code [1][hidden]}.
     */
    QWEN2_MOE("shared_expert"),
    /**
     * DeepSeek-V2: {@code mlp.shared_experts.{gate_proj,up_proj,down_proj}}, always added. Its
     * {@code n_shared_experts} experts are stored fused as one FFN of
     * {@code n_shared_experts * moe_intermediate_size}.
     */
    DEEPSEEK_V2("shared_experts");

    private final String module;

    SharedExpertKind(String module) {
        this.module = module;
    }

    /** Whether the shared expert's output goes through a sigmoid gate. */
    public boolean gated() {
        return this == QWEN2_MOE;
    }

    /** One matrix of the shared expert of {@code layer}. */
    public String tensor(int layer, Projection projection) {
        return prefix(layer) + module + "." + projection.nameIn(NamingFamily.MLP) + ".weight";
    }

    /** The shared expert's gate of {@code layer}, {@code [1][hidden]}; only for a {@link #gated()} kind. */
    public String gateTensor(int layer) {
        if (!gated()) {
            throw new IllegalStateException(this + " has no shared-expert gate");
        }
        return prefix(layer) + "shared_expert_gate.weight";
    }

    private String prefix(int layer) {
        if (this == NONE) {
            throw new IllegalStateException("no shared expert, so no shared-expert tensors");
        }
        return "model.layers." + layer + ".mlp.";
    }
}
