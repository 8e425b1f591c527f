package io.moestream.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.RunnerException;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs {@link RoutingBenchmark} and prints each policy's time per step as a ratio to the plain
 * top-k router measured right before it, next to the goals of issue #2. Ratios, not absolute
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
        Map<String, Map<String, double[]>> byShape = new LinkedHashMap<>();
        for (RunResult result : results) {
            String shape = result.getParams().getParam("shape");
            String policy = result.getParams().getParam("policy");
            int at = result.getParams().getParam("variant").equals("route") ? 0 : 2;
            double[] row = byShape.computeIfAbsent(shape, s -> new LinkedHashMap<>())
                    .computeIfAbsent(policy, p -> new double[4]);
            row[at] = result.getPrimaryResult().getScore();
            row[at + 1] = result.getPrimaryResult().getScoreError();
        }
        System.out.printf("%n%-8s %-22s %10s %8s %12s %8s %8s %6s%n", "shape", "policy", "us/step", "+-",
                "top-k us", "+-", "x top-k", "goal");
        byShape.forEach((shape, byPolicy) -> byPolicy.forEach((policy, row) -> {
            Double goal = GOALS.get(policy);
            double ratio = row[0] / row[2];
            String verdict = goal == null ? "" : (ratio <= goal ? "<=" : ">") + goal;
            System.out.printf("%-8s %-22s %10.1f %8.1f %12.1f %8.1f %8.2f %6s%n", shape, policy, row[0], row[1],
                    row[2], row[3], ratio, verdict);
        }));
    }
}
