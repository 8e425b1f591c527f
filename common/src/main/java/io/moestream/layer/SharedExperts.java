package io.moestream.layer;

/**
 * Experts every token goes through, never routed and never dropped (Qwen2-MoE's
 * {@code shared_expert}, DeepSeek-V2's {@code shared_experts}): shared expert {@code s} is expert
 * {@code -1 - s} of an {@link ExpertExecutor}. Qwen2-MoE scales their output per token by
 * {@code sigmoid(x . g)} with its {@code shared_expert_gate}; without a gate the scale is 1.
 *
 * @param count how many shared experts the layer has
 * @param gate {@code g} of length hidden, or {@code null}
 */
public record SharedExperts(int count, float[] gate) {

    /** Each token's scale of the shared experts' output. */
    double[] scales(float[] x, int tokens, int hidden) {
        double[] scale = new double[tokens];
        for (int t = 0; t < tokens; t++) {
            scale[t] = gate == null ? 1.0 : 1.0 / (1.0 + Math.exp(-GateProjection.dot(x, t * hidden, gate, 0, hidden)));
        }
        return scale;
    }
}
