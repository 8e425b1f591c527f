package io.moestream.cli;

import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Set;

/** The readable report of one replay: configuration, per-expert bars and whole-trace figures. */
final class SummaryReport {

    private static final int BAR_WIDTH = 56;
    private static final String FIGURE = "%-20s %8s   %s%n";

    private SummaryReport() {
    }

    static void print(PrintWriter out, String trace, Placement placement, RoutingConfig config, ReplayTotals totals) {
        Reports.header(out, trace, placement, totals, config, Set.of());
        out.println();
        printBars(out, placement, totals);
        out.println();
        printFigures(out, totals);
        out.flush();
    }

    private static void printBars(PrintWriter out, Placement placement, ReplayTotals totals) {
        double capacity = totals.hasCapacity() ? totals.meanCapacity() : 0;
        double scale = capacity;
        for (int e = 0; e < totals.experts(); e++) {
            scale = Math.max(scale, Math.max(totals.meanDemand(e), totals.meanLoad(e)));
        }
        String capacityNote = !totals.hasCapacity() ? "(no capacity)"
                : totals.capacityVaries() ? String.format(Locale.ROOT, "| mean capacity C = %.1f", capacity)
                : String.format(Locale.ROOT, "| capacity C = %.0f", capacity);
        out.println("per expert, mean per step:  # load   + load above demand   . demand not kept   "
                + capacityNote);
        out.println("expert  rank   demand     load");
        for (int e = 0; e < totals.experts(); e++) {
            double demand = totals.meanDemand(e);
            double load = totals.meanLoad(e);
            out.println(String.format(Locale.ROOT, "%6d  %4d  %7.1f  %7.1f  %s", e, placement.rankOf(e), demand,
                    load, bar(demand, load, capacity, scale)).stripTrailing());
        }
    }

    /** {@code #} up to the load that met demand, {@code +} for load beyond it, {@code .} for demand not kept. */
    static String bar(double demand, double load, double capacity, double scale) {
        int met = cells(Math.min(demand, load), scale);
        StringBuilder bar = new StringBuilder()
                .append("#".repeat(met))
                .append("+".repeat(Math.max(0, cells(load, scale) - met)))
                .append(".".repeat(Math.max(0, cells(demand, scale) - met)));
        if (capacity > 0) {
            int at = cells(capacity, scale);
            while (bar.length() <= at) {
                bar.append(' ');
            }
            bar.setCharAt(at, '|');
        }
        return bar.toString();
    }

    private static int cells(double value, double scale) {
        return scale == 0 ? 0 : (int) Math.round(value / scale * BAR_WIDTH);
    }

    private static void printFigures(PrintWriter out, ReplayTotals totals) {
        out.printf(Locale.ROOT, FIGURE, "drop rate", Reports.percent(totals.dropRate()),
                String.format(Locale.ROOT, "%,d of %,d top-k slots dropped", totals.dropped(), totals.topKSlots()));
        out.printf(Locale.ROOT, FIGURE, "tokens with no slot", Reports.percent(ratio(totals.tokensWithoutSlot(),
                totals.tokens())), String.format(Locale.ROOT, "%,d of %,d tokens (output 0, residual only)",
                totals.tokensWithoutSlot(), totals.tokens()));
        out.printf(Locale.ROOT, FIGURE, "gate mass kept", Reports.percent(totals.meanGateMassKept()),
                "kept p / top-k p, mean over steps");
        out.printf(Locale.ROOT, FIGURE, "cross-rank slots", Reports.percent(ratio(totals.crossRankSlots(),
                totals.kept())), String.format(Locale.ROOT, "%,d of %,d kept slots leave their source rank",
                totals.crossRankSlots(), totals.kept()));
        out.printf(Locale.ROOT, FIGURE, "expert straggler", Reports.decimal(totals.meanExpertStraggler()),
                "max " + Reports.decimal(totals.maxExpertStraggler())
                        + "; max / mean expert load, mean over steps (1 is balanced)");
        out.printf(Locale.ROOT, FIGURE, "rank straggler", Reports.decimal(totals.meanRankStraggler()),
                "max " + Reports.decimal(totals.maxRankStraggler()) + "; the same over ranks");
        out.printf(Locale.ROOT, FIGURE, "vacancy",
                totals.hasCapacity() ? String.format(Locale.ROOT, "%.1f", totals.vacancyPerStep()) : "-",
                "empty capacity slots per step (padding of a static-shape kernel)");
        out.printf(Locale.ROOT, "%-20s %s%n", "extra slots", String.format(Locale.ROOT,
                "rerouted %,d, expanded %,d, rectified %,d, filled %,d", totals.rerouted(), totals.expanded(),
                totals.rectified(), totals.filled()));
    }

    private static double ratio(long part, long whole) {
        return whole == 0 ? 0 : (double) part / whole;
    }
}
