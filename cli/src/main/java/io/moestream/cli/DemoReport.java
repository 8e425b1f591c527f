package io.moestream.cli;

import io.moestream.routing.Placement;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The demo's text report: one block per policy, then one table comparing them. */
final class DemoReport {

    private static final String FIGURE = "%-18s %10s   %s%n";
    private static final String TABLE = "%-14s %9s %8s %8s %9s %8s %8s %9s %8s%n";

    private DemoReport() {
    }

    static void print(PrintWriter out, String setup, Placement placement, List<PolicyRun> runs) {
        out.println(setup);
        double scale = runs.stream().flatMapToDouble(run -> Arrays.stream(run.demand())).max().orElse(0);
        for (PolicyRun run : runs) {
            out.println();
            printBlock(out, placement, run, scale);
        }
        out.println();
        printTable(out, runs);
        out.flush();
    }

    private static void printBlock(PrintWriter out, Placement placement, PolicyRun run, double scale) {
        out.printf(Locale.ROOT, "== %s, capacity factor %s: %,d prompts, %,d tokens in %,d steps%n", run.policy(),
                run.capacityFactor(), run.prompts(), run.tokens(), run.steps());
        out.println("per expert, slots over all prompts:  # load   + load above demand   . demand not kept");
        out.println("expert  rank   demand     load");
        for (int e = 0; e < run.demand().length; e++) {
            out.println(String.format(Locale.ROOT, "%6d  %4d  %7.0f  %7.0f  %s", e, placement.rankOf(e),
                    run.demand()[e], run.load()[e], SummaryReport.bar(run.demand()[e], run.load()[e], 0, scale))
                    .stripTrailing());
        }
        out.printf(Locale.ROOT, FIGURE, "drop rate", Reports.percent(run.dropRate()), "of the top-k slots");
        out.printf(Locale.ROOT, FIGURE, "expert straggler", Reports.decimal(run.expertStraggler()),
                "max / mean expert load, mean over steps (1 is balanced)");
        out.printf(Locale.ROOT, FIGURE, "rank straggler", Reports.decimal(run.rankStraggler()), "the same over ranks");
        out.printf(Locale.ROOT, FIGURE, "throughput", String.format(Locale.ROOT, "%,.0f", run.tokensPerSecond()),
                "tokens/s, all prompts sent at once, first send to last result");
        out.printf(Locale.ROOT, FIGURE, "latency", String.format(Locale.ROOT, "%.0f ms", run.p50Ms()),
                String.format(Locale.ROOT, "p50; p99 %.0f ms, end to end at the gateway", run.p99Ms()));
        out.printf(Locale.ROOT, FIGURE, "relative L2 error", String.format(Locale.ROOT, "%.4f", run.relativeL2()),
                String.format(Locale.ROOT, "worst %.4f; against dropless, mean over requests", run.worstRelativeL2()));
        out.printf(Locale.ROOT, FIGURE, "cosine similarity", String.format(Locale.ROOT, "%.4f", run.cosine()),
                String.format(Locale.ROOT, "worst %.4f", run.worstCosine()));
        if (run.degraded() > 0) {
            out.printf(Locale.ROOT, FIGURE, "not ok", Integer.toString(run.degraded()),
                    "requests completed degraded or with an error");
        }
    }

    private static void printTable(PrintWriter out, List<PolicyRun> runs) {
        out.printf(Locale.ROOT, TABLE, "policy", "drop rate", "expert", "rank", "tokens/s", "p50", "p99", "rel. L2",
                "cosine");
        out.println(String.format(Locale.ROOT, TABLE, "", "", "strag.", "strag.", "", "ms", "ms", "", "")
                .stripTrailing());
        for (PolicyRun run : runs) {
            out.printf(Locale.ROOT, TABLE, run.policy(), Reports.percent(run.dropRate()),
                    Reports.decimal(run.expertStraggler()), Reports.decimal(run.rankStraggler()),
                    String.format(Locale.ROOT, "%,.0f", run.tokensPerSecond()),
                    String.format(Locale.ROOT, "%.0f", run.p50Ms()), String.format(Locale.ROOT, "%.0f", run.p99Ms()),
                    String.format(Locale.ROOT, "%.4f", run.relativeL2()), String.format(Locale.ROOT, "%.4f", run.cosine()));
        }
    }
}
