package io.moestream.routing;

import java.util.ArrayList;
import java.util.List;

/** Computes the section-3 statistics of a step from its final slots. */
final class StatsCollector {

    private final RoutingStep step;
    private final int[] slotStart;
    private final int[] slotExpert;
    private final byte[] slotKind;
    private final int dropped;

    StatsCollector(RoutingStep step, int[] slotStart, int[] slotExpert, byte[] slotKind, int dropped) {
        this.step = step;
        this.slotStart = slotStart;
        this.slotExpert = slotExpert;
        this.slotKind = slotKind;
        this.dropped = dropped;
    }

    RoutingStats collect() {
        Placement placement = step.placement;
        int[] demand = new int[step.experts];
        double topKMass = 0;
        for (int t = 0; t < step.tokens; t++) {
            for (int j = 0; j < step.topK; j++) {
                int e = step.choice(t, j);
                demand[e]++;
                topKMass += step.score(t, e);
            }
        }
        int[] load = new int[step.experts];
        int[] rankLoad = new int[placement.ranks()];
        int[] byKind = new int[SlotKind.values().length];
        int crossRank = 0;
        int withoutSlot = 0;
        double keptMass = 0;
        for (int t = 0; t < step.tokens; t++) {
            if (slotStart[t] == slotStart[t + 1]) {
                withoutSlot++;
            }
            for (int i = slotStart[t]; i < slotStart[t + 1]; i++) {
                int e = slotExpert[i];
                load[e]++;
                rankLoad[placement.rankOf(e)]++;
                byKind[slotKind[i]]++;
                keptMass += step.score(t, e);
                if (placement.rankOf(e) != step.sourceRank) {
                    crossRank++;
                }
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
        int kept = slotExpert.length;
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
