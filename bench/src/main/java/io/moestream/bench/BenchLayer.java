package io.moestream.bench;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import io.moestream.generate.SkewModel;
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

/**
 * The MoE layer the layer benchmarks time ({@link LayerBenchmark} on the CPU, {@link GpuCheck} on the GPU):
 * mixtral-small (E=8, k=2, on 4 ranks) or olmoe (E=64, k=8, on 8 ranks), with the expert shapes of
 * {@link ExpertBenchmark.Shape}, and a gate and hidden states from the generator's skew model, so that
 * routing is as unbalanced as real text makes it. The weights do not depend on the batch size, so one kernel
 * can serve every batch.
 */
final class BenchLayer {

    final Map<Integer, ExpertWeights> weights = new HashMap<>();
    private final ExpertBenchmark.Shape shape;
    private final int experts;
    private final int topK;
    private final int ranks;
    private final SkewModel skew;
    private final float[] gate;

    BenchLayer(String shapeName) {
        shape = ExpertBenchmark.Shape.named(shapeName);
        boolean olmoe = shapeName.equals("olmoe");
        experts = olmoe ? 64 : 8;
        topK = olmoe ? 8 : 2;
        ranks = olmoe ? 8 : 4;
        int d = shape.hidden();
        skew = new SkewModel(d, experts, olmoe ? 0.7 : 0.8, 1);
        gate = skew.gate();
        SplittableRandom random = new SplittableRandom(11);
        for (int e = 0; e < experts; e++) {
            weights.put(e, Uniform.expert(random, d, shape.ffn()));
        }
    }

    /** {@code [tokens][hidden]}: embedding rows of random words of a 100,000-word vocabulary. */
    float[] hiddenStates(int tokens) {
        int d = shape.hidden();
        float[] x = new float[tokens * d];
        SplittableRandom random = new SplittableRandom(7);
        for (int t = 0; t < tokens; t++) {
            skew.embeddingRow(random.nextInt(100_000), x, t * d);
        }
        return x;
    }

    /** The layer under {@code policy} (a spec name) at capacity factor 1.0, its experts computed by {@code kernel}. */
    MoeLayer layer(String policy, ExpertKernel kernel) {
        RoutingConfig config = RoutingConfig.builder(SpecName.parse(Policy.class, "policy", policy), topK)
                .capacityFactor(1.0).build();
        Router router = new Router(config, Placement.contiguous(experts, ranks));
        return new MoeLayer(shape.hidden(), new GateProjection(shape.hidden(), experts, gate), router, kernel, null, null);
    }
}
