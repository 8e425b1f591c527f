package io.moestream.routing;

import java.util.List;

/**
 * The per-step figures of ROUTING-SPEC section 3. Slot counts count slots, not multiplicities:
 * an Intra-GPU Rectification slot standing for two dropped slots is one {@code rectified} slot.
 *
 * @param capacity {@code C}, or {@code null} when the step ran without capacity
 * @param demand per expert, the top-k slots that chose it
 * @param load per expert {@code n_e}, the kept slots it computes
 * @param rankLoad per rank, the sum of its experts' loads
 * @param kept every kept slot, of any kind ({@code primary + rerouted + expanded + rectified + filled})
 * @param dropped top-k slots whose expert keeps the token in no slot; one rectified back onto the expert
 *        that dropped it is kept, not dropped
 * @param tokensWithoutSlot tokens left with no kept slot (their output is zero)
 * @param dropRate {@code dropped / (T * k)}
 * @param vacancy {@code sum over capacity groups of max(0, budget - load)}; {@code null} without capacity
 * @param expertStraggler {@code max_e n_e / mean_e n_e}; 0 when nothing is kept
 * @param rankStraggler {@code max_r load_r / mean_r load_r}; 0 when nothing is kept
 * @param crossRankSlots kept slots whose expert is not on the step's source rank
 * @param gateMassKept {@code sum of kept p / sum of top-k p}
 */
public record RoutingStats(
        int tokens,
        int topK,
        Integer capacity,
        List<Integer> demand,
        List<Integer> load,
        List<Integer> rankLoad,
        int kept,
        int primary,
        int dropped,
        int rerouted,
        int expanded,
        int rectified,
        int filled,
        int tokensWithoutSlot,
        double dropRate,
        Integer vacancy,
        double expertStraggler,
        double rankStraggler,
        int crossRankSlots,
        double gateMassKept) {

    public RoutingStats {
        demand = List.copyOf(demand);
        load = List.copyOf(load);
        rankLoad = List.copyOf(rankLoad);
    }
}
