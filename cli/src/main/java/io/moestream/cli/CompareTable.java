package io.moestream.cli;

import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** One table comparing replays of the same trace, a row per (policy, capacity factor). */
final class CompareTable {

    private static final String SPAN = "%-13s %5s %7s  %-13s  %-13s  %7s  %9s  %s%n";
    private static final String ROW = "%-13s %5s %7s  %6s %6s  %6s %6s  %7s  %9s  %s%n";

    private CompareTable() {
    }

    static void print(PrintWriter out, String trace, Placement placement, Map<RoutingConfig, ReplayTotals> runs) {
        Map.Entry<RoutingConfig, ReplayTotals> first = runs.entrySet().iterator().next();
        Reports.header(out, trace, placement, first.getValue(), first.getKey(), Set.of("policy", "capacity-factor"));
        out.println();
        out.printf(Locale.ROOT, SPAN, "", "", "drop", "expert strag.", "rank strag.", "vacancy", "gate mass",
                "extra slots");
        out.printf(Locale.ROOT, ROW, "policy", "gamma", "rate", "mean", "max", "mean", "max", "/step", "kept",
                "per step");
        for (Map.Entry<RoutingConfig, ReplayTotals> run : runs.entrySet()) {
            RoutingConfig config = run.getKey();
            ReplayTotals totals = run.getValue();
            out.printf(Locale.ROOT, ROW,
                    SpecName.of(config.policy()),
                    config.hasCapacity() ? String.valueOf(config.capacityFactor()) : "-",
                    Reports.percent(totals.dropRate()),
                    Reports.decimal(totals.meanExpertStraggler()),
                    Reports.decimal(totals.maxExpertStraggler()),
                    Reports.decimal(totals.meanRankStraggler()),
                    Reports.decimal(totals.maxRankStraggler()),
                    totals.hasCapacity() ? String.format(Locale.ROOT, "%.1f", totals.vacancyPerStep()) : "-",
                    Reports.percent(totals.meanGateMassKept()),
                    extraSlots(totals));
        }
        out.flush();
    }

    /** Only the kinds a policy creates, per step: a column each would not fit 100 characters. */
    private static String extraSlots(ReplayTotals totals) {
        List<String> kinds = new ArrayList<>();
        addIfAny(kinds, "rerouted", totals.rerouted(), totals);
        addIfAny(kinds, "expanded", totals.expanded(), totals);
        addIfAny(kinds, "rectified", totals.rectified(), totals);
        addIfAny(kinds, "filled", totals.filled(), totals);
        return kinds.isEmpty() ? "-" : String.join(", ", kinds);
    }

    private static void addIfAny(List<String> kinds, String kind, long count, ReplayTotals totals) {
        if (count > 0) {
            kinds.add(String.format(Locale.ROOT, "%s %.1f", kind, (double) count / totals.steps()));
        }
    }
}
