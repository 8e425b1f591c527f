package io.moestream.routing;

import java.util.ArrayList;
import java.util.List;

/**
 * Computes the section-3 statistics of a step while its result is assembled: the assembler reports
 * every top-k choice and every kept slot once, in token order, so the statistics cost no pass of
 * their own over the step.
 */
final class StatsCollector {

    private final RoutingStep step;
    private final int[] demand;
    private final int[] load;
    private final int[] byKind = new int[SlotKind.values().length];
    private double topKMass;
    private double keptMass;

    StatsCollector(RoutingStep step) {
        this.step = step;
        this.demand = new int[step.experts];
        this.load = new int[step.experts];
    }

    /** One of the token's top-k choices. */
    void choice(int token, int expert) {
        demand[expert]++;
        topKMass += step.score(token, expert);
    }

    /** One kept slot; {@code kind} is the slot kind's ordinal. */
    void slot(int token, int expert, int kind) {
        load[expert]++;
        byKind[kind]++;
        keptMass += step.score(token, expert);
    }

    /** The statistics, given the assembled per-token slot offsets and the number of dropped slots. */
    RoutingStats collect(int[] slotStart, int dropped) {
        int withoutSlot = 0;
        for (int t = 0; t < step.tokens; t++) {
            if (slotStart[t] == slotStart[t + 1]) {
                withoutSlot++;
            }
        }
        // Per rank from per expert: E additions instead of a placement lookup per slot.
        Placement placement = step.placement;
        int[] rankLoad = new int[placement.ranks()];
        int crossRank = 0;
        for (int e = 0; e < step.experts; e++) {
            int rank = placement.rankOf(e);
            rankLoad[rank] += load[e];
            if (rank != step.sourceRank) {
                crossRank += load[e];
            }
        }
        Integer vacancy = null;
        if (step.hasCapacity()) {
            vacancy = 0;
            int[] groupLoad = new int[step.budget.length];
            for (int e = 0; e < step.experts; e++) {
                groupLoad[step.groupOf[e]] += load[e];
            }
            for (int g = 0; g < groupLoad.length; g++) {
                vacancy += Math.max(0, step.budget[g] - groupLoad[g]);
            }
        }
        int kept = slotStart[step.tokens];
        return new RoutingStats(step.tokens, step.topK, step.capacity, list(demand), list(load), list(rankLoad),
                kept, byKind[SlotKind.PRIMARY.ordinal()], dropped, byKind[SlotKind.REROUTED.ordinal()],
                byKind[SlotKind.EXPANDED.ordinal()], byKind[SlotKind.RECTIFIED.ordinal()],
                byKind[SlotKind.FILLED.ordinal()], withoutSlot, (double) dropped / ((long) step.tokens * step.topK),
                vacancy, straggler(load), straggler(rankLoad), crossRank, topKMass > 0 ? keptMass / topKMass : 0);
    }

    /** {@code max / mean}; 0 when nothing is loaded, so that the ratio is never NaN. */
    private static double straggler(int[] loads) {
        long total = 0;
        int max = 0;
        for (int load : loads) {
            total += load;
            max = Math.max(max, load);
        }
        return total == 0 ? 0 : max * (double) loads.length / total;
    }

    private static List<Integer> list(int[] values) {
        List<Integer> list = new ArrayList<>(values.length);
        for (int v : values) {
            list.add(v);
        }
        return list;
    }
}
