package io.moestream.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.RunnerException;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs {@link RoutingBenchmark} and prints each policy's time per step as a ratio to the plain
 * top-k router measured in the same run, next to the goals of issue #2. Ratios, not absolute
 * times, are what carries between machines as shared and noisy as ours.
 *
 * <p>Arguments: {@code [jsonFile]}; the JMH results are also written there as JSON.
 */
public final class RoutingBenchReport {

    private static final Map<String, Double> GOALS = Map.of(
            "token-drop", 1.5, "token-reroute", 3.0, "token-reroute-greedy", 3.0, "rectify", 3.0);

    private RoutingBenchReport() {
    }

    public static void main(String[] args) throws RunnerException {
        String json = args.length > 0 ? args[0] : "bench/target/routing-bench.json";
        print(JmhRun.run(RoutingBenchmark.class, 3, "2g", json));
    }

    private static void print(Collection<RunResult> results) {
        Map<String, Double> baseline = new LinkedHashMap<>();
        Map<String, Map<String, double[]>> routed = new LinkedHashMap<>();
        for (RunResult result : results) {
            String method = result.getParams().getBenchmark();
            String shape = result.getParams().getParam("shape");
            String policy = result.getParams().getParam("policy");
            double score = result.getPrimaryResult().getScore();
            double error = result.getPrimaryResult().getScoreError();
            if (method.endsWith("plainTopK")) {
                baseline.put(shape, score);
            } else {
                routed.computeIfAbsent(shape, s -> new LinkedHashMap<>()).put(policy, new double[] {score, error});
            }
        }
        System.out.printf("%n%-8s %-22s %12s %10s %8s %6s%n", "shape", "policy", "us/step", "+-", "x top-k", "goal");
        routed.forEach((shape, byPolicy) -> {
            double base = baseline.get(shape);
            System.out.printf("%-8s %-22s %12.1f %10s %8s %6s%n", shape, "plain top-k (baseline)", base, "", "1.00", "");
            byPolicy.forEach((policy, score) -> {
                Double goal = GOALS.get(policy);
                String verdict = goal == null ? "" : (score[0] / base <= goal ? "<=" : ">") + goal;
                System.out.printf("%-8s %-22s %12.1f %10.1f %8.2f %6s%n", shape, policy, score[0], score[1],
                        score[0] / base, verdict);
            });
        });
    }
}
