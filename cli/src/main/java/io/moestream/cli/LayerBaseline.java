package io.moestream.cli;

import io.moestream.cli.StepPlan.Step;
import io.moestream.kernels.ExpertKernels;
import io.moestream.kernels.KernelBackend;
import io.moestream.kernels.SelectedKernel;
import io.moestream.layer.GateProjection;
import io.moestream.layer.MoeLayer;
import io.moestream.layer.MoeLayers;
import io.moestream.model.Checkpoint;
import io.moestream.model.ModelConfig;
import io.moestream.model.MoeLayerLoader;
import io.moestream.model.MoeLayerWeights;
import io.moestream.model.NamingFamily;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.routing.ParallelStepTime;
import io.moestream.routing.Placement;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.PromptEncoder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The MoE layer in this process over the prompts the pipeline gets, tokenized and embedded as the
 * gateway does and cut into the same steps ({@link StepPlan}), computed with the same kernel backend:
 * the baseline the pipeline's throughput is held against. It also routes those steps, without
 * computing them, on a placement over more ranks than the machine has cores ({@link #model}).
 */
final class LayerBaseline implements AutoCloseable {

    /** Enough steps to compile the forward path's hot code before anything is timed. */
    private static final int WARM_UP_STEPS = 8;

    private final Checkpoint checkpoint;
    private final MoeLayerWeights weights;
    private final List<Step> steps;
    private final SelectedKernel experts;
    private final SelectedKernel shared;

    /** The in-process layer's time over all steps. */
    record LayerRun(int steps, long tokens, double seconds) {

        double tokensPerSecond() {
            return tokens / seconds;
        }

        double meanStepMs() {
            return seconds * 1000 / steps;
        }
    }

    /**
     * @param ranks the pipeline's source ranks, which the gateway deals prompts over
     * @param threads OpenBLAS threads (process-wide), 0 to keep OpenBLAS's own count
     */
    LayerBaseline(Path modelDir, int layer, List<String> prompts, int ranks, int stepTokens, KernelBackend backend,
                  int threads) {
        checkpoint = Checkpoint.open(modelDir);
        try {
            ModelConfig config = ModelConfig.read(modelDir).orElseThrow();
            weights = MoeLayerLoader.load(checkpoint, config, layer);
            try (PromptEncoder encoder = PromptEncoder.forModel(modelDir, checkpoint.tensor(NamingFamily.EMBED_TOKENS),
                    PromptEncoder.DEFAULT_MAX_TOKENS)) {
                steps = StepPlan.of(prompts.stream().map(encoder::encode).toList(), weights.hidden(), ranks, stepTokens);
            }
            experts = ExpertKernels.create(backend, weights.experts(), threads);
            shared = ExpertKernels.create(backend, weights.sharedExpertsById(), threads);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** What the kernel is, for the report. */
    String backend() {
        return experts.kernel().description();
    }

    int steps() {
        return steps.size();
    }

    /**
     * The model's own routing with {@code policy} at {@code capacityFactor} ({@code null} for none), as the router
     * applies a control record.
     */
    RoutingConfig routing(String policy, Double capacityFactor) {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("policy", policy);
        options.put("capacity-factor", capacityFactor);
        return RoutingSettings.apply(MoeLayers.defaultRouting(weights), options);
    }

    /** Runs the first steps untimed, so that the JIT's work is not charged to the first policy timed. */
    void warmUp(RoutingConfig routing, Placement placement) {
        MoeLayer moeLayer = layer(routing, placement);
        steps.stream().limit(WARM_UP_STEPS).forEach(step -> moeLayer.forward(step.x(), step.tokens(), step.sourceRank()));
    }

    /** Times every step through gate, policy, expert kernels and combine. */
    LayerRun run(RoutingConfig routing, Placement placement) {
        MoeLayer moeLayer = layer(routing, placement);
        long tokens = 0;
        long start = System.nanoTime();
        for (Step step : steps) {
            moeLayer.forward(step.x(), step.tokens(), step.sourceRank());
            tokens += step.tokens();
        }
        return new LayerRun(steps.size(), tokens, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Routes every step on {@code placement} without computing it; source ranks beyond the
     * placement's wrap around, which changes nothing for policies that ignore where tokens sit.
     */
    ParallelStepTime model(RoutingConfig routing, Placement placement) {
        GateProjection gate = new GateProjection(weights.hidden(), weights.numExperts(), weights.gate());
        Router router = new Router(routing, placement);
        ParallelStepTime time = new ParallelStepTime();
        for (Step step : steps) {
            time.add(router.route(gate.logits(step.x(), step.tokens()), step.sourceRank() % placement.ranks())
                    .stats().rankLoad());
        }
        return time;
    }

    private MoeLayer layer(RoutingConfig routing, Placement placement) {
        return MoeLayers.build(weights, routing, placement, experts.kernel(), shared.kernel());
    }

    @Override
    public void close() {
        experts.kernel().close();
        shared.kernel().close();
        checkpoint.close();
    }
}
