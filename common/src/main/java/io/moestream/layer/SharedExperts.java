package io.moestream.layer;

import io.moestream.expert.ExpertKernel;

/**
 * Experts every token goes through, never routed and never dropped (Qwen2-MoE's
 * {@code shared_expert}, DeepSeek-V2's {@code shared_experts}). Qwen2-MoE scales their output per
 * token by {@code sigmoid(x . g)} with its {@code shared_expert_gate}; without a gate the scale is 1.
 *
 * @param kernel computes the shared experts, numbered {@code 0..count-1}
 * @param gate {@code g} of length hidden, or {@code null}
 */
public record SharedExperts(ExpertKernel kernel, int count, float[] gate) {

    /** Adds the shared experts' output for every token to {@code out}. */
    void addTo(float[] x, int tokens, int hidden, float[] out) {
        double[] scale = new double[tokens];
        for (int t = 0; t < tokens; t++) {
            scale[t] = gate == null ? 1.0 : 1.0 / (1.0 + Math.exp(-GateProjection.dot(x, t * hidden, gate, 0, hidden)));
        }
        float[] y = new float[tokens * hidden];
        for (int s = 0; s < count; s++) {
            kernel.forward(s, x, tokens, y);
            for (int t = 0; t < tokens; t++) {
                Combine.addScaled(out, t * hidden, y, t * hidden, hidden, scale[t]);
            }
        }
    }
}
