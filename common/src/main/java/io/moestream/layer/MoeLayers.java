package io.moestream.layer;

import io.moestream.expert.ExpertKernel;
import io.moestream.model.MoeLayerWeights;
import io.moestream.routing.Options.Weights;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;

/** Builds MoE layers from loaded weights, so every process that builds one builds it the same way. */
public final class MoeLayers {

    private MoeLayers() {
    }

    /**
     * The routing a model implies before any option is given: its top-k, and combine weights
     * {@code topk} when its config renormalises them ({@code norm_topk_prob}, always for Mixtral),
     * else {@code raw}; policy {@code token-drop} without capacity, which routes as dropless.
     */
    public static RoutingConfig defaultRouting(MoeLayerWeights weights) {
        return RoutingConfig.builder(Policy.TOKEN_DROP, weights.topK())
                .weights(weights.normTopkProb() ? Weights.TOPK : Weights.RAW)
                .build();
    }

    /**
     * @param experts computes the routed experts of {@code weights}
     * @param shared computes its shared experts; ignored when the layer has none
     */
    public static MoeLayer build(MoeLayerWeights weights, RoutingConfig routing, Placement placement,
                                 ExpertKernel experts, ExpertKernel shared) {
        GateProjection gate = new GateProjection(weights.hidden(), weights.numExperts(), weights.gate());
        SharedExperts sharedExperts = weights.sharedExperts().isEmpty() ? null
                : new SharedExperts(weights.sharedExperts().size(), weights.sharedExpertGate().orElse(null));
        return new MoeLayer(weights.hidden(), gate, new Router(routing, placement), experts, sharedExperts, shared);
    }
}
