package io.moestream.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The demo's whole-model sections: the generated text, the quality cost, and the domain burst; and their JSON. */
final class WholeModelDemoReport {

    private static final String COST = "%-22s %10s %11s %8s %7s %9s %9s%n";

    private WholeModelDemoReport() {
    }

    static void print(PrintWriter out, WholeModelDemo.Result result, double capacityFactor, int ranks) {
        String routing = String.format(Locale.ROOT, "capacity factor %s, experts on %d ranks", capacityFactor, ranks);
        printTexts(out, result, routing);
        out.println();
        out.printf(Locale.ROOT, "== the whole model on held-out text of every domain (%d domains, %,d predicted tokens,"
                        + " sequences of up to %d tokens in steps of up to %,d), %s%n", result.heldOut().domains().size(),
                result.mixed().dropless().totals().predicted(), result.sequenceLength(), WholeModelDemo.STEP_TOKENS,
                routing);
        out.printf("text: the %s%n", result.heldOutText());
        printCost(out, result.mixed());
        out.println();
        printBurst(out, result, routing);
        out.flush();
    }

    private static void printTexts(PrintWriter out, WholeModelDemo.Result result, String routing) {
        out.printf(Locale.ROOT, "== text the whole model generates under each policy: greedy, up to %d new tokens from"
                + " the first %d tokens%n   of each domain's held-out text, all prompts in one batch, %s%n",
                result.newTokens(), WholeModelDemo.PROMPT_TOKENS, routing);
        for (WholeModelDemo.Prompted prompted : result.texts()) {
            out.printf("-- %s: %s%n", prompted.domain(), oneLine(prompted.prompt()));
            prompted.byPolicy().forEach((policy, continuation) -> {
                String text = continuation.firstDifference() < 0 && !policy.equals(QualityRow.DROPLESS)
                        ? "(the same as dropless)"
                        : oneLine(continuation.text()) + (continuation.firstDifference() < 0 ? ""
                                : String.format(Locale.ROOT, "   (differs from token %d)", continuation.firstDifference()));
                out.printf(Locale.ROOT, "%-14s | %s%n", policy, text);
            });
        }
    }

    /** Per policy: held-out perplexity and its change, KL and top-1 agreement against dropless, drop rate, speed-up. */
    private static void printCost(PrintWriter out, QualityRun.Table table) {
        out.printf(Locale.ROOT, COST, "policy", "perplexity", "vs dropless", "KL", "top-1", "drop rate", "speed-up");
        out.printf(Locale.ROOT, COST, "", "", "", "nats", "agree", "", "modelled");
        for (QualityRun.Cell cell : cells(table)) {
            double perplexity = cell.totals().perplexity();
            out.printf(Locale.ROOT, COST, cell.row().label(), String.format(Locale.ROOT, "%.2f", perplexity),
                    String.format(Locale.ROOT, "%+.1f%%", 100 * (perplexity / table.dropless().totals().perplexity() - 1)),
                    String.format(Locale.ROOT, "%.4f", cell.totals().kl()),
                    String.format(Locale.ROOT, "%.1f%%", 100 * cell.totals().top1Agreement()),
                    Reports.percent(cell.dropRate()), String.format(Locale.ROOT, "%.2fx", cell.speedUpOver(table.dropless())));
        }
    }

    private static void printBurst(PrintWriter out, WholeModelDemo.Result result, String routing) {
        QualityRun.Table burst = result.burst();
        QualityRun.Cell dropless = burst.dropless();
        out.printf(Locale.ROOT, "== domain burst: %s alone (%,d predicted tokens in steps of up to %,d), %s%n",
                result.burstDomain(), dropless.totals().predicted(), WholeModelDemo.STEP_TOKENS, routing);
        out.println("busiest / mean expert load per MoE layer under dropless (mean over steps), every domain mixed"
                + " against the burst:");
        out.printf(Locale.ROOT, "%5s %8s %8s   %s%n", "layer", "mixed", result.burstDomain(), "the burst's busiest expert");
        Map<Integer, ReplayTotals> mixedLayers = result.mixed().dropless().layers().byLayer();
        dropless.layers().byLayer().forEach((layer, totals) -> {
            int hottest = hottest(totals);
            out.printf(Locale.ROOT, "%5d %8.2f %8.2f   expert %d, %.1f%% of the layer's slots%n", layer,
                    mixedLayers.get(layer).meanExpertStraggler(), totals.meanExpertStraggler(), hottest,
                    100 * totals.meanDemand(hottest) * totals.steps() / totals.topKSlots());
        });
        out.println("what each policy does with the burst: busiest / mean load per layer after it, and the cost:");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-22s %9s", "policy", "drop rate"));
        dropless.layers().byLayer().keySet().forEach(l -> header.append(String.format(Locale.ROOT, " %7s", "layer " + l)));
        out.println(header.append(String.format(Locale.ROOT, " %10s %8s %7s %8s", "perplexity", "KL", "top-1",
                "speed-up")));
        for (QualityRun.Cell cell : cells(burst)) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-22s %9s", cell.row().label(),
                    Reports.percent(cell.dropRate())));
            cell.layers().byLayer().values().forEach(t -> line.append(String.format(Locale.ROOT, " %7.2f",
                    t.meanExpertStraggler())));
            out.println(line.append(String.format(Locale.ROOT, " %10.2f %8.4f %6.1f%% %7.2fx", cell.totals().perplexity(),
                    cell.totals().kl(), 100 * cell.totals().top1Agreement(), cell.speedUpOver(dropless))));
        }
    }

    /** The expert with the most top-k slots over the steps. */
    private static int hottest(ReplayTotals totals) {
        int best = 0;
        for (int e = 1; e < totals.experts(); e++) {
            if (totals.meanDemand(e) > totals.meanDemand(best)) {
                best = e;
            }
        }
        return best;
    }

    /** Dropless first, then each policy's one cell. */
    private static List<QualityRun.Cell> cells(QualityRun.Table table) {
        List<QualityRun.Cell> cells = new ArrayList<>(List.of(table.dropless()));
        table.cells().values().forEach(row -> cells.add(row.get(0)));
        return cells;
    }

    /** report.json's "wholeModel": the texts, and per policy its figures on the mix and on the burst. */
    static Map<String, Object> json(WholeModelDemo.Result result, double capacityFactor) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("texts", result.texts());
        json.put("heldOutText", result.heldOutText());
        json.put("heldOut", figures(result.mixed(), capacityFactor));
        json.put("burstDomain", result.burstDomain());
        json.put("burst", figures(result.burst(), capacityFactor));
        List<Map<String, Object>> layers = new ArrayList<>();
        result.burst().dropless().layers().byLayer().forEach((layer, totals) -> {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("layer", layer);
            l.put("mixedBusiestOverMean", result.mixed().dropless().layers().byLayer().get(layer).meanExpertStraggler());
            l.put("burstBusiestOverMean", totals.meanExpertStraggler());
            l.put("burstBusiestExpert", hottest(totals));
            layers.add(l);
        });
        json.put("burstLayers", layers);
        return json;
    }

    private static List<QualityReport.Figures> figures(QualityRun.Table table, double capacityFactor) {
        return cells(table).stream().map(c -> QualityReport.Figures.of(c, table.dropless(), capacityFactor)).toList();
    }

    static String oneLine(String text) {
        return text.replace("\n", "\\n");
    }
}
