package io.moestream.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The section 3 figures that a result's slots imply, recounted from {@code kept(t)} and the
 * spec's own top-k, so that they can be compared with what the router reports.
 */
final class ExpectedStats {

    private ExpectedStats() {
    }

    static RoutingStats of(RandomStep step, RoutingResult result, double[][] p) {
        int tokens = step.tokens();
        int experts = step.experts();
        int topK = step.topK();
        Placement placement = step.placement();
        int[] demand = new int[experts];
        int[] load = new int[experts];
        Map<SlotKind, Integer> kinds = new EnumMap<>(SlotKind.class);
        int tokensWithoutSlot = 0;
        int crossRankSlots = 0;
        double keptMass = 0;
        double topKMass = 0;
        int dropped = 0;
        for (int t = 0; t < tokens; t++) {
            int[] kept = Reference.experts(result.kept(t), slot -> true);
            for (int e : Reference.topK(step, p[t])) {
                demand[e]++;
                topKMass += p[t][e];
                // Section 1: a top-k expert is dropped when it keeps the token in no slot of any kind.
                dropped += Reference.contains(kept, e) ? 0 : 1;
            }
            if (result.kept(t).isEmpty()) {
                tokensWithoutSlot++;
            }
            for (Slot slot : result.kept(t)) {
                load[slot.expert()]++;
                kinds.merge(slot.kind(), 1, Integer::sum);
                keptMass += p[t][slot.expert()];
                if (placement.rankOf(slot.expert()) != step.sourceRank()) {
                    crossRankSlots++;
                }
            }
        }
        int[] rankLoad = new int[placement.ranks()];
        for (int e = 0; e < experts; e++) {
            rankLoad[placement.rankOf(e)] += load[e];
        }
        int primary = kinds.getOrDefault(SlotKind.PRIMARY, 0);
        return new RoutingStats(tokens, topK, result.capacity(), list(demand), list(load), list(rankLoad),
                Arrays.stream(load).sum(), primary, dropped,
                kinds.getOrDefault(SlotKind.REROUTED, 0), kinds.getOrDefault(SlotKind.EXPANDED, 0),
                kinds.getOrDefault(SlotKind.RECTIFIED, 0), kinds.getOrDefault(SlotKind.FILLED, 0),
                tokensWithoutSlot, (double) dropped / (tokens * topK), vacancy(step, result),
                Reference.maxOverMean(load), Reference.maxOverMean(rankLoad), crossRankSlots, keptMass / topKMass);
    }

    /**
     * Ratios within {@code tolerance}, everything else exactly: the exact part compares whole
     * records, so that a failure shows every figure side by side.
     */
    static void assertMatch(RoutingStats actual, RoutingStats expected, double tolerance) {
        assertThat(actual.dropRate()).as("dropRate").isCloseTo(expected.dropRate(), within(tolerance));
        assertThat(actual.expertStraggler()).as("expertStraggler").isCloseTo(expected.expertStraggler(), within(tolerance));
        assertThat(actual.rankStraggler()).as("rankStraggler").isCloseTo(expected.rankStraggler(), within(tolerance));
        assertThat(actual.gateMassKept()).as("gateMassKept").isCloseTo(expected.gateMassKept(), within(tolerance));
        RoutingStats withActualRatios = new RoutingStats(expected.tokens(), expected.topK(), expected.capacity(),
                expected.demand(), expected.load(), expected.rankLoad(), expected.kept(), expected.primary(),
                expected.dropped(), expected.rerouted(), expected.expanded(), expected.rectified(), expected.filled(),
                expected.tokensWithoutSlot(), actual.dropRate(), expected.vacancy(), actual.expertStraggler(),
                actual.rankStraggler(), expected.crossRankSlots(), actual.gateMassKept());
        assertThat(actual).isEqualTo(withActualRatios);
    }

    /** Unused budget summed over capacity groups; IR overflow of one group does not offset another's. */
    private static Integer vacancy(RandomStep step, RoutingResult result) {
        Integer capacity = result.capacity();
        if (capacity == null) {
            return null;
        }
        int[] load = Reference.groupLoads(step, result, slot -> true);
        int vacancy = 0;
        for (int group = 0; group < load.length; group++) {
            vacancy += Math.max(0, Reference.budget(step, group, capacity) - load[group]);
        }
        return vacancy;
    }

    private static List<Integer> list(int[] values) {
        return Arrays.stream(values).boxed().toList();
    }
}
