package io.moestream.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * The demo's section on the whole model through Kafka: per policy its perplexity beside the in-process one,
 * time to first token, inter-token latency, whether its texts are the in-process ones, the balance of every MoE
 * layer, and the texts that differ.
 */
final class WholeModelKafkaReport {

    private static final String FIGURES = "%-14s %9s %11s %8s %8s %8s %8s %10s%n";
    /** Above {@link #FIGURES}: a heading over each pair of columns. */
    private static final String GROUPS = "%-14s %21s %17s %17s %10s%n";

    private WholeModelKafkaReport() {
    }

    static void print(PrintWriter out, WholeModelKafka.Result result, double capacityFactor, int ranks) {
        out.printf(Locale.ROOT, "== the whole model through Kafka under each policy: the same %d prompts and %d held-out"
                        + " sequences (%,d predicted tokens)%n   as requests on moe.prompts, read back from moe.results"
                        + " and moe.completion-stream; the router's dense workers,%n   capacity factor %s, experts on"
                        + " %d ranks%n", result.policies().get(0).texts().size(), result.sequences(), result.predicted(),
                capacityFactor, ranks);
        out.printf(Locale.ROOT, GROUPS, "policy", "perplexity", "first token", "inter-token", "texts as");
        out.printf(Locale.ROOT, FIGURES, "", "Kafka", "in process", "p50 ms", "p99 ms", "p50 ms", "p99 ms",
                "in process");
        for (WholeModelKafka.PolicyFigures f : result.policies()) {
            out.printf(Locale.ROOT, FIGURES, f.policy(), Reports.decimal(f.perplexity()),
                    Reports.decimal(f.inProcessPerplexity()), milliseconds(f.timeToFirstTokenMs().p50()),
                    milliseconds(f.timeToFirstTokenMs().p99()), milliseconds(f.interTokenMs().p50()),
                    milliseconds(f.interTokenMs().p99()), f.textsAsInProcess() + " of " + f.texts().size());
        }
        out.printf("first token: from a request's arrival at its dense worker to its first token; inter-token: between"
                + " a request's%n   tokens as the broker stamped them on moe.completion-stream. Each dense worker"
                + " batches the requests it%n   got, so under capacity the routing, and with it the figures, differ"
                + " from the in-process batches'%n");
        result.policies().stream().filter(f -> f.degraded() > 0).forEach(f -> out.printf(Locale.ROOT,
                "%s: %d requests answered degraded (experts out of reach were routed around)%n", f.policy(),
                f.degraded()));
        printLayers(out, result.policies());
        printTexts(out, result);
        out.flush();
    }

    /** A row per policy, a straggler and a balancedness column per MoE layer. */
    private static void printLayers(PrintWriter out, List<WholeModelKafka.PolicyFigures> policies) {
        out.printf("per MoE layer, the kept slots of every step of the policy's requests summed: busiest / mean"
                + " expert (straggler)%n   and mean / busiest rank (balancedness, 1 = even)%n");
        StringBuilder layers = new StringBuilder(String.format(Locale.ROOT, "%-14s", "policy"));
        StringBuilder figures = new StringBuilder(String.format(Locale.ROOT, "%-14s", ""));
        for (WholeModelKafka.LayerBalance layer : policies.get(0).layers()) {
            layers.append(String.format(Locale.ROOT, " %15s", "layer " + layer.layer()));
            figures.append(String.format(Locale.ROOT, " %7s %7s", "strag.", "bal."));
        }
        out.println(layers);
        out.println(figures);
        for (WholeModelKafka.PolicyFigures f : policies) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-14s", f.policy()));
            f.layers().forEach(l -> row.append(String.format(Locale.ROOT, " %7.2f %7.2f", l.straggler(),
                    l.balancedness())));
            out.println(row);
        }
    }

    /** Per domain, each policy's text, and where it parts from the in-process text of that policy. */
    private static void printTexts(PrintWriter out, WholeModelKafka.Result result) {
        out.printf(Locale.ROOT, "text through Kafka, greedy, up to %d new tokens from the same prompts:%n",
                result.newTokens());
        List<String> domains = result.policies().get(0).texts().stream().map(WholeModelKafka.Text::domain).toList();
        for (int d = 0; d < domains.size(); d++) {
            out.printf("-- %s%n", domains.get(d));
            for (WholeModelKafka.PolicyFigures f : result.policies()) {
                WholeModelKafka.Text text = f.texts().get(d);
                out.printf(Locale.ROOT, "%-14s | %s%s%n", f.policy(), WholeModelDemoReport.oneLine(text.text()),
                        text.firstDifference() < 0 ? "" : String.format(Locale.ROOT,
                                "   (differs from the in-process text from token %d)", text.firstDifference()));
            }
        }
    }

    private static String milliseconds(double ms) {
        return String.format(Locale.ROOT, "%.0f", ms);
    }
}
