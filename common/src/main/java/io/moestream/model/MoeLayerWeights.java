package io.moestream.model;

import io.moestream.expert.ExpertWeights;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The weights of one MoE layer as one process holds them: the whole router, but only the routed
 * experts it hosts.
 *
 * @param layer the decoder layer these weights come from
 * @param hidden {@code d}
 * @param numExperts {@code E}, routed experts in the layer, hosted here or not
 * @param topK experts per token
 * @param normTopkProb whether the top-k gate probabilities are renormalised
 * @param gate router weight {@code [E][d]}, row-major
 * @param experts the hosted routed experts by expert id, in id order
 * @param sharedExperts experts every token goes through (Qwen2-MoE, DeepSeek-V2); empty for most models
 * @param sharedExpertGate Qwen2-MoE's {@code [d]} gate: the shared output is scaled by {@code sigmoid(x . gate)}
 */
public record MoeLayerWeights(
        int layer,
        int hidden,
        int numExperts,
        int topK,
        boolean normTopkProb,
        float[] gate,
        Map<Integer, ExpertWeights> experts,
        List<ExpertWeights> sharedExperts,
        Optional<float[]> sharedExpertGate) {

    public MoeLayerWeights {
        if (gate == null || gate.length != (long) numExperts * hidden) {
            throw new IllegalArgumentException("gate must hold " + numExperts + "x" + hidden + " values");
        }
        if (topK < 1 || topK > numExperts) {
            throw new IllegalArgumentException("top-k must be in 1.." + numExperts + ", got " + topK);
        }
        experts.forEach((id, expert) -> {
            if (id < 0 || id >= numExperts) {
                throw new IllegalArgumentException("expert " + id + " is outside 0.." + (numExperts - 1));
            }
            requireHidden("expert " + id, expert, hidden);
        });
        sharedExperts.forEach(expert -> requireHidden("shared expert", expert, hidden));
        sharedExpertGate.ifPresent(values -> {
            if (values.length != hidden) {
                throw new IllegalArgumentException("shared-expert gate must hold " + hidden + " values, got " + values.length);
            }
        });
        experts = Collections.unmodifiableMap(new TreeMap<>(experts));
        sharedExperts = List.copyOf(sharedExperts);
    }

    /** The shared experts numbered {@code 0..S-1}, as an expert kernel hosts them. */
    public Map<Integer, ExpertWeights> sharedExpertsById() {
        Map<Integer, ExpertWeights> byId = new TreeMap<>();
        for (int s = 0; s < sharedExperts.size(); s++) {
            byId.put(s, sharedExperts.get(s));
        }
        return Collections.unmodifiableMap(byId);
    }

    private static void requireHidden(String what, ExpertWeights expert, int hidden) {
        if (expert.hidden() != hidden) {
            throw new IllegalArgumentException(what + " has hidden size " + expert.hidden() + ", the layer " + hidden);
        }
    }
}
