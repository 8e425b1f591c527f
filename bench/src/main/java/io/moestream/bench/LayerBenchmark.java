package io.moestream.bench;

import io.moestream.expert.ExpertWeights;
import io.moestream.generate.SkewModel;
import io.moestream.kernels.OpenBlasExpertKernel;
import io.moestream.layer.GateProjection;
import io.moestream.layer.MoeLayer;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One MoE-layer forward in process (gate, policy, OpenBLAS expert FFNs grouped by expert, combine)
 * at the expert shapes of {@link ExpertBenchmark}, per policy at capacity factor 1.0, on hidden
 * states and a gate from the generator's skew model, so routing is as unbalanced as real text makes
 * it. The report turns the time per forward into tokens per second.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LayerBenchmark {

    /** Layer shapes: mixtral-small (E=8, k=2, d=1024, F=3584) and olmoe (E=64, k=8, d=2048, F=1024). */
    @State(Scope.Benchmark)
    public static class Layer {

        @Param({"mixtral-small", "olmoe"})
        public String shape;

        @Param({"512", "4096"})
        public int tokens;

        int hidden;
        int experts;
        int topK;
        float[] gate;
        float[] x;
        OpenBlasExpertKernel kernel;

        @Setup(Level.Trial)
        public void setUp() {
            ExpertBenchmark.Shape s = ExpertBenchmark.Shape.named(shape);
            hidden = s.hidden();
            experts = shape.equals("olmoe") ? 64 : 8;
            topK = shape.equals("olmoe") ? 8 : 2;
            SkewModel skew = new SkewModel(hidden, experts, shape.equals("olmoe") ? 0.7 : 0.8, 1);
            gate = skew.gate();
            x = new float[tokens * hidden];
            SplittableRandom random = new SplittableRandom(7);
            for (int t = 0; t < tokens; t++) {
                skew.embeddingRow(random.nextInt(100_000), x, t * hidden);
            }
            Map<Integer, ExpertWeights> weights = new HashMap<>();
            for (int e = 0; e < experts; e++) {
                weights.put(e, new ExpertWeights(hidden, s.ffn(), Uniform.floats(random, s.ffn() * hidden,
                        1 / Math.sqrt(hidden)), Uniform.floats(random, s.ffn() * hidden, 1 / Math.sqrt(hidden)),
                        Uniform.floats(random, hidden * s.ffn(), 1 / Math.sqrt(s.ffn()))));
            }
            kernel = new OpenBlasExpertKernel(weights, 0);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            kernel.close();
        }
    }

    /** The policy, at capacity factor 1.0, over 8 ranks for olmoe and 4 for mixtral-small. */
    @State(Scope.Benchmark)
    public static class Routing {

        @Param({"dropless", "token-drop", "token-reroute", "rectify"})
        public String policy;

        MoeLayer layer;

        @Setup(Level.Trial)
        public void setUp(Layer l) {
            RoutingConfig config = RoutingConfig.builder(SpecName.parse(Policy.class, "policy", policy), l.topK)
                    .capacityFactor(1.0).build();
            Router router = new Router(config, Placement.contiguous(l.experts, l.experts == 8 ? 4 : 8));
            layer = new MoeLayer(l.hidden, new GateProjection(l.hidden, l.experts, l.gate), router, l.kernel, null);
        }
    }

    @Benchmark
    public float[] forward(Layer l, Routing r) {
        return r.layer.forward(l.x, l.tokens, 0).output();
    }
}
