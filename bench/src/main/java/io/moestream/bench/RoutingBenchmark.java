package io.moestream.bench;

import io.moestream.routing.GateScores;
import io.moestream.routing.Options.RerouteMode;
import io.moestream.routing.Options.ScoreFunction;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import io.moestream.routing.SyntheticLogits;
import io.moestream.routing.TopK;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * Routing one step (gate logits given, gate GEMM excluded) under each policy, against the plain
 * top-k router of the same step: softmax plus top-k selection, which every policy also does.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RoutingBenchmark {

    static final int TOKENS = 4096;
    static final int RANKS = 8;
    static final double SKEW = 1.0;

    /** One step of skewed logits at an OLMoE-like or Mixtral-like shape. */
    @State(Scope.Benchmark)
    public static class Step {

        /** OLMoE-like (T=4096, E=64, k=8) or Mixtral-like (T=4096, E=8, k=2), both on 8 ranks. */
        @Param({"olmoe", "mixtral"})
        public String shape;

        double[][] logits;
        int experts;
        int topK;

        @Setup
        public void setUp() {
            experts = shape.equals("olmoe") ? 64 : 8;
            topK = shape.equals("olmoe") ? 8 : 2;
            logits = new SyntheticLogits(experts, SKEW, 42).nextStep(TOKENS);
        }
    }

    /** A router for one policy at that shape, measured as itself or as the baseline beside it. */
    @State(Scope.Benchmark)
    public static class Routing {

        /** A spec policy name, or {@code token-reroute-greedy} for {@code token-reroute --mode greedy}. */
        @Param({"dropless", "vanilla", "token-drop", "token-reroute", "token-reroute-greedy", "expanded-drop",
                "rectify-ir", "rectify-fr", "rectify"})
        public String policy;

        /** The capacity factor of every capacity-aware policy. */
        @Param({"1.0"})
        public double capacityFactor;

        /**
         * {@code top-k}: the plain top-k router, the baseline; {@code route}: the policy. JMH varies the
         * parameter whose name sorts last fastest, so every policy runs right after a baseline of its own,
         * and the drift of a shared machine's speed over the run cancels in their ratio.
         */
        @Param({"top-k", "route"})
        public String variant;

        Router router;

        @Setup
        public void setUp(Step step) {
            boolean greedy = policy.equals("token-reroute-greedy");
            Policy spec = greedy ? Policy.TOKEN_REROUTE : SpecName.parse(Policy.class, "policy", policy);
            RoutingConfig config = RoutingConfig.builder(spec, step.topK).capacityFactor(capacityFactor)
                    .mode(greedy ? RerouteMode.GREEDY : RerouteMode.ROUNDS).build();
            router = new Router(config, Placement.contiguous(step.experts, RANKS));
        }
    }

    @Benchmark
    public Object step(Step step, Routing routing) {
        if (routing.variant.equals("route")) {
            return routing.router.route(step.logits, 0);
        }
        double[] scores = GateScores.compute(ScoreFunction.SOFTMAX, step.logits, step.experts);
        int[] choices = new int[TOKENS * step.topK];
        TopK.select(scores, TOKENS, step.experts, step.topK, choices);
        return choices;
    }
}
