package io.moestream.cli;

import io.moestream.cli.BenchRun.SpeedUp;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/** The bench's text report: the pipeline, the in-process layer, the bytes on the wire, the speed-ups. */
final class BenchReport {

    private static final String PIPELINE = "%-11s %4s %6s %9s %7s %7s %7s %11s %6s %7s %7s %7s%n";
    private static final String IN_PROCESS = "%-11s %4s %6s %9s %8s %11s%n";
    private static final String WIRE = "%-11s %4s %11s %11s %11s %10s %10s%n";
    private static final String SPEED_UP = "%-11s %4s %9s %12s %11s %9s %9s%n";

    private BenchReport() {
    }

    /**
     * @param slotBytes one slot's hidden state on the wire, {@code d} times the wire type's bytes: the minimum per
     *        token each way is {@code k} of them, every top-k slot travelling once as bare hidden states
     * @param modelNote how the modelled figures were computed, printed under their table
     */
    static void print(PrintWriter out, String setup, List<BenchRun> runs, List<SpeedUp> speedUps, int ranks,
                      int topK, int slotBytes, String modelNote) {
        out.println(setup);
        out.println();
        printPipeline(out, runs, ranks);
        out.println();
        printInProcess(out, runs);
        out.println();
        printWire(out, runs, topK, slotBytes);
        out.println();
        printSpeedUps(out, speedUps, ranks);
        out.println(modelNote);
        out.flush();
    }

    private static void printPipeline(PrintWriter out, List<BenchRun> runs, int ranks) {
        out.println("== the pipeline through Kafka: all prompts sent at once, tokens/s from the first send to the last"
                + " result,");
        out.println("   step = pass time / routing steps, busy = expert kernel time per rank, max busy = the busiest"
                + " rank's");
        out.println("   busy time / pass time, straggler = max / mean (busy time; the router's: rows, mean over steps)");
        out.printf(Locale.ROOT, PIPELINE, "policy", "CF", "steps", "tokens/s", "p50", "p99", "step", "busy s",
                "max", "busy", "router", "drop");
        out.printf(Locale.ROOT, PIPELINE, "", "", "", "", "ms", "ms", "ms", String.join("/", rankNames(ranks)),
                "busy", "strag.", "strag.", "rate");
        for (BenchRun run : runs) {
            PipelineFigures p = run.pipeline();
            StringBuilder busy = new StringBuilder();
            for (double seconds : p.rankBusySeconds()) {
                busy.append(busy.isEmpty() ? "" : "/").append(String.format(Locale.ROOT, "%.2f", seconds));
            }
            out.printf(Locale.ROOT, PIPELINE, run.policy(), factor(run), p.steps(), count(p.tokensPerSecond()),
                    count(p.p50Ms()), count(p.p99Ms()), String.format(Locale.ROOT, "%.1f", p.meanStepMs()), busy,
                    String.format(Locale.ROOT, "%.0f%%", 100 * p.busiestRankShare()),
                    Reports.decimal(p.rankBusyStraggler()), Reports.decimal(p.routerRankStraggler()),
                    Reports.percent(p.dropRate()));
            if (p.degraded() > 0) {
                out.printf(Locale.ROOT, "   %d requests completed degraded or with an error%n", p.degraded());
            }
        }
    }

    private static void printInProcess(PrintWriter out, List<BenchRun> runs) {
        out.println("== the in-process layer (MoeLayer.forward): the same prompts in the same steps, the same backend,");
        out.println("   timed after the pipeline stopped; ratio = pipeline tokens/s / in-process tokens/s (goal >= 0.9)");
        out.printf(Locale.ROOT, IN_PROCESS, "policy", "CF", "steps", "tokens/s", "step ms", "ratio");
        for (BenchRun run : runs) {
            BenchRun.InProcess in = run.inProcess();
            out.printf(Locale.ROOT, IN_PROCESS, run.policy(), factor(run), in.steps(), count(in.tokensPerSecond()),
                    String.format(Locale.ROOT, "%.1f", in.meanStepMs()), String.format(Locale.ROOT, "%.2f %s",
                            in.pipelineRatio(), in.pipelineRatio() >= 0.9 ? "met" : "missed"));
        }
    }

    private static void printWire(PrintWriter out, List<BenchRun> runs, int topK, int slotBytes) {
        out.printf(Locale.ROOT, "== bytes on the wire per token, each way: dispatch (router to experts), output (experts"
                + " back);%n   minimum k * d * wire bytes = %,.0f for every top-k slot, kept-slot minimum = kept slots"
                + " * d * wire bytes%n", (double) topK * slotBytes);
        out.printf(Locale.ROOT, WIRE, "policy", "CF", "dispatch", "output", "kept-slot", "dispatch", "output");
        out.printf(Locale.ROOT, WIRE, "", "", "B/token", "B/token", "minimum", "x minimum", "x minimum");
        for (BenchRun run : runs) {
            PipelineFigures p = run.pipeline();
            double kept = p.keptSlotsPerToken() * slotBytes;
            out.printf(Locale.ROOT, WIRE, run.policy(), factor(run), count(p.dispatchBytesPerToken()),
                    count(p.outputBytesPerToken()), count(kept),
                    String.format(Locale.ROOT, "%.3f", p.dispatchBytesPerToken() / kept),
                    String.format(Locale.ROOT, "%.3f", p.outputBytesPerToken() / kept));
        }
    }

    private static void printSpeedUps(PrintWriter out, List<SpeedUp> speedUps, int ranks) {
        out.printf(Locale.ROOT, "== speed-up over dropless, dropless time / the policy's for the same tokens (the papers:"
                + " token-drop%n   at CF 1.5, 1.89x per layer on 8 GPUs): pipeline = pass time, busiest rank = its kernel"
                + " time,%n   in-process = the layer's time, modelled = summed busiest-rank step times%n");
        out.printf(Locale.ROOT, SPEED_UP, "policy", "CF", "pipeline", "busiest rank", "in-process", "modelled",
                "modelled");
        out.printf(Locale.ROOT, SPEED_UP, "", "", "", ranks + " ranks", "", ranks + " ranks",
                speedUps.get(0).modelledRanks() + " ranks");
        for (SpeedUp s : speedUps) {
            out.printf(Locale.ROOT, SPEED_UP, s.policy(), s.capacityFactor(), times(s.pipeline()),
                    times(s.pipelineBusiestRank()), times(s.inProcess()), times(s.modelledOnBenchRanks()),
                    times(s.modelled()));
        }
    }

    private static String factor(BenchRun run) {
        return run.capacityFactor() == null ? "-" : run.capacityFactor().toString();
    }

    private static List<String> rankNames(int ranks) {
        return IntStream.range(0, ranks).mapToObj(r -> "r" + r).toList();
    }

    private static String count(double value) {
        return String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String times(double ratio) {
        return String.format(Locale.ROOT, "%.2fx", ratio);
    }
}
