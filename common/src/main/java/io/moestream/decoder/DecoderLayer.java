package io.moestream.decoder;

import io.moestream.expert.ExpertKernel;
import io.moestream.layer.ExpertExecutor;
import io.moestream.layer.GateProjection;
import io.moestream.layer.LocalExperts;
import io.moestream.layer.MoeLayer;
import io.moestream.layer.SharedExperts;
import io.moestream.model.AttentionWeights;
import io.moestream.model.DecoderConfig;
import io.moestream.model.DecoderLayerWeights;
import io.moestream.model.LatentAttentionWeights;
import io.moestream.model.MoeLayerWeights;
import io.moestream.routing.Placement;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;

import java.util.Map;

/**
 * The compute of one decoder layer, built once per model: norms, attention, and the kernels of its
 * feed-forward block. The MoE block's router is not part of it: {@link #moe} makes an
 * {@link MoeLayer} for a routing configuration, so one loaded model runs under any policy.
 */
final class DecoderLayer implements AutoCloseable {

    private final int index;
    private final float[] inputNorm;
    private final float[] postAttentionNorm;
    private final Attention attention;
    private final int hidden;
    /** Routed experts of an MoE layer, or the plain MLP (expert 0) of a dense layer. */
    private final ExpertKernel experts;
    private final GateProjection gate;
    private final SharedExperts shared;
    /** The shared experts' kernel, or {@code null} for a layer without them. */
    private final ExpertKernel sharedKernel;
    private final double routedScalingFactor;

    DecoderLayer(DecoderConfig config, DecoderLayerWeights weights, ComputeBackend backend, Rope rope) {
        this.index = weights.layer();
        this.hidden = config.hiddenSize();
        this.inputNorm = weights.inputNorm();
        this.postAttentionNorm = weights.postAttentionNorm();
        this.attention = attention(config, weights, backend, rope);
        this.routedScalingFactor = config.routedScalingFactor();
        MoeLayerWeights moe = weights.moe();
        if (moe == null) {
            experts = backend.experts(Map.of(0, weights.dense()));
            gate = null;
            shared = null;
            sharedKernel = null;
        } else {
            experts = backend.experts(moe.experts());
            gate = new GateProjection(hidden, moe.numExperts(), moe.gate());
            shared = moe.sharedExperts().isEmpty() ? null
                    : new SharedExperts(moe.sharedExperts().size(), moe.sharedExpertGate().orElse(null));
            sharedKernel = shared == null ? null : backend.experts(moe.sharedExpertsById());
        }
    }

    private static Attention attention(DecoderConfig config, DecoderLayerWeights weights, ComputeBackend backend,
                                       Rope rope) {
        if (weights.attention() instanceof LatentAttentionWeights latent) {
            return new Attention(weights.layer(), config, new LatentQkv(config, latent, backend, rope), latent.o(),
                    backend);
        }
        AttentionWeights grouped = (AttentionWeights) weights.attention();
        return new Attention(weights.layer(), config, new GroupedQkv(config, grouped, backend, rope), grouped.o(),
                backend);
    }

    int index() {
        return index;
    }

    boolean isMoe() {
        return gate != null;
    }

    float[] inputNorm() {
        return inputNorm;
    }

    float[] postAttentionNorm() {
        return postAttentionNorm;
    }

    Attention attention() {
        return attention;
    }

    /** The MoE block under {@code routing}, its experts computed by {@code executor}; only for an MoE layer. */
    MoeLayer moe(RoutingConfig routing, Placement placement, ExpertExecutor executor) {
        return new MoeLayer(index, hidden, gate, new Router(routing, placement), executor, shared,
                routedScalingFactor);
    }

    /** This MoE layer's kernels, as {@link LocalExperts} computes them. */
    LocalExperts.LayerKernels kernels() {
        return new LocalExperts.LayerKernels(experts, sharedKernel);
    }

    /** The plain MLP of a dense layer. */
    void dense(float[] x, int tokens, float[] y) {
        experts.forward(0, x, tokens, y);
    }

    @Override
    public void close() {
        attention.close();
        experts.close();
        if (sharedKernel != null) {
            sharedKernel.close();
        }
    }
}
