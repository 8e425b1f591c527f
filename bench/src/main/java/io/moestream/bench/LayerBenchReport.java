package io.moestream.bench;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.RunnerException;

/**
 * Runs {@link LayerBenchmark} and prints each layer forward as tokens per second and as a ratio to
 * dropless of the same shape and batch, measured just before it.
 *
 * <p>Arguments: {@code [jsonFile]}; the JMH results are also written there as JSON.
 */
public final class LayerBenchReport {

    private LayerBenchReport() {
    }

    public static void main(String[] args) throws RunnerException {
        String json = args.length > 0 ? args[0] : "bench/target/layer-bench.json";
        print(JmhRun.run(LayerBenchmark.class, 2, "8g", json));
    }

    private static void print(Collection<RunResult> results) {
        System.out.printf("%nOPENBLAS_CORETYPE=%s OPENBLAS_NUM_THREADS=%s%n", System.getenv("OPENBLAS_CORETYPE"),
                System.getenv("OPENBLAS_NUM_THREADS"));
        System.out.printf("%-14s %6s %-14s %11s %11s %14s%n", "shape", "T", "policy", "ms/forward", "tokens/s",
                "x dropless time");
        Map<String, Double> dropless = new HashMap<>();
        for (RunResult result : results) {
            if (result.getParams().getParam("policy").equals("dropless")) {
                dropless.put(layer(result), result.getPrimaryResult().getScore());
            }
        }
        for (RunResult result : results) {
            int tokens = Integer.parseInt(result.getParams().getParam("batch"));
            double ms = result.getPrimaryResult().getScore();
            System.out.printf("%-14s %6d %-14s %11.1f %11.0f %14.2f%n", result.getParams().getParam("model"), tokens,
                    result.getParams().getParam("policy"), ms, tokens / (ms / 1000), ms / dropless.get(layer(result)));
        }
    }

    private static String layer(RunResult result) {
        return result.getParams().getParam("model") + "/" + result.getParams().getParam("batch");
    }
}
