package io.moestream.bench;

import io.moestream.kernels.OpenBlasExpertKernel;
import io.moestream.layer.MoeLayer;
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
 * of a {@link BenchLayer}, per policy at capacity factor 1.0. The report turns the time per forward
 * into tokens per second.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LayerBenchmark {

    /**
     * A layer shape and batch. Their parameters are named so that {@code policy} sorts after them: JMH
     * varies the parameter named last fastest, so the policies of one shape and batch run back to back
     * and each ratio to dropless spans minutes, not the whole run, of a shared machine's drift.
     */
    @State(Scope.Benchmark)
    public static class Layer {

        /** mixtral-small (E=8, k=2, d=1024, F=3584) or olmoe (E=64, k=8, d=2048, F=1024). */
        @Param({"mixtral-small", "olmoe"})
        public String model;

        /** Tokens per forward. */
        @Param({"512", "4096"})
        public int batch;

        BenchLayer layer;
        float[] x;
        OpenBlasExpertKernel kernel;

        @Setup(Level.Trial)
        public void setUp() {
            layer = new BenchLayer(model);
            x = layer.hiddenStates(batch);
            kernel = new OpenBlasExpertKernel(layer.weights, 0);
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
            layer = l.layer.layer(policy, l.kernel);
        }
    }

    @Benchmark
    public float[] forward(Layer l, Routing r) {
        return r.layer.forward(l.x, l.batch, 0).output();
    }
}
