package io.moestream.local;

import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;
import io.moestream.layer.MoeLayers;
import io.moestream.model.Checkpoint;
import io.moestream.model.ModelConfig;
import io.moestream.model.MoeLayerLoader;
import io.moestream.model.MoeLayerWeights;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.routing.RoutingConfig;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.TokenBatch;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The in-process MoE layer the pipeline must agree with: the same checkpoint, placement and
 * routing (the model's defaults, the stack's {@code moe.routing.*}, then the latest control
 * record, as the router composes them), with the Java expert kernel. The end-to-end tests and
 * the fault-injection harness (module {@code chaos}) check the pipeline's outputs against it.
 */
public final class ReferenceLayer {

    private final MoeLayerWeights weights;
    private final MoeSettings settings;
    private final RoutingConfig configured;

    public ReferenceLayer(MoeSettings settings) {
        this.settings = settings;
        ModelConfig config = ModelConfig.read(settings.modelDir()).orElseThrow();
        try (Checkpoint checkpoint = Checkpoint.open(settings.modelDir())) {
            this.weights = MoeLayerLoader.load(checkpoint, config, settings.modelLayer());
        }
        this.configured = RoutingSettings.apply(MoeLayers.defaultRouting(weights), settings.routing());
    }

    /** The layer's output for the batch's tokens on its source rank, under {@code control}'s routing. */
    private float[] forward(TokenBatch batch, Map<String, ?> control) {
        RoutingConfig routing = RoutingSettings.apply(configured, control);
        try (JavaExpertKernel experts = new JavaExpertKernel(weights.experts());
             JavaExpertKernel shared = new JavaExpertKernel(numbered(weights.sharedExperts()))) {
            return MoeLayers.build(weights, routing, settings.placement(weights.numExperts()), experts, shared)
                    .forward(batch.states(), batch.tokens(), batch.sourceRank()).output();
        }
    }

    private static Map<Integer, ExpertWeights> numbered(List<ExpertWeights> experts) {
        Map<Integer, ExpertWeights> byId = new HashMap<>();
        for (int i = 0; i < experts.size(); i++) {
            byId.put(i, experts.get(i));
        }
        return byId;
    }

    /**
     * The outputs of request {@code id}'s tokens, computed batch by batch as the pipeline batched
     * them: capacity depends on which tokens share a step.
     */
    public float[] forRequest(String id, List<TokenBatch> batches, Map<String, ?> control) {
        int hidden = weights.hidden();
        float[] out = null;
        for (TokenBatch batch : batches) {
            RequestSpan span = spanOf(batch, id);
            if (out == null) {
                out = new float[span.requestTokens() * hidden];
            }
            System.arraycopy(forward(batch, control), span.firstToken() * hidden, out, span.requestOffset() * hidden,
                    span.tokenCount() * hidden);
        }
        return out;
    }

    /** The part of {@code batch} that carries request {@code id}. */
    public static RequestSpan spanOf(TokenBatch batch, String id) {
        return batch.requests().stream().filter(span -> span.requestId().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("batch " + batch.batchId() + " carries no token of "
                        + id));
    }
}
