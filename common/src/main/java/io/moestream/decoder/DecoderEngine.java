package io.moestream.decoder;

import io.moestream.layer.MoeLayers;
import io.moestream.model.Checkpoint;
import io.moestream.model.DecoderConfig;
import io.moestream.model.DecoderLayerWeights;
import io.moestream.model.DecoderLoader;
import io.moestream.model.DecoderWeights;
import io.moestream.model.MoeLayerWeights;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A whole decoder model loaded onto a compute backend: embeddings, every layer's attention and
 * feed-forward kernels, the final norm and the output head. It holds no routing policy:
 * {@link #model} gives a {@link DecoderModel} that applies one in every MoE layer, and any number
 * of them share these kernels (a policy and its dropless reference, say).
 */
public final class DecoderEngine implements AutoCloseable {

    private final DecoderConfig config;
    private final float[] embedTokens;
    private final List<DecoderLayer> layers;
    private final float[] finalNorm;
    private final Linear lmHead;
    private final RoutingConfig defaultRouting;
    private final String description;

    public DecoderEngine(DecoderWeights weights, ComputeBackend backend) {
        this.config = weights.config();
        this.embedTokens = weights.embedTokens();
        this.finalNorm = weights.finalNorm();
        Rope rope = new Rope(config.headDim(), config.ropeTheta());
        List<DecoderLayer> built = new ArrayList<>();
        MoeLayerWeights firstMoe = null;
        try {
            for (DecoderLayerWeights layer : weights.layers()) {
                built.add(new DecoderLayer(config, layer, backend, rope));
                if (firstMoe == null && layer.moe() != null) {
                    firstMoe = layer.moe();
                }
            }
            this.lmHead = backend.linear(weights.lmHead(), config.vocabSize(), config.hiddenSize());
        } catch (RuntimeException | Error e) {
            built.forEach(DecoderLayer::close);
            throw e;
        }
        this.layers = List.copyOf(built);
        if (firstMoe == null) {
            throw new IllegalArgumentException("the model has no MoE layer");
        }
        this.defaultRouting = MoeLayers.defaultRouting(firstMoe);
        this.description = backend.description();
    }

    /** Loads the checkpoint in {@code directory} (config.json and safetensors) onto {@code backend}. */
    public static DecoderEngine load(Path directory, ComputeBackend backend) {
        DecoderConfig config = DecoderConfig.read(directory);
        try (Checkpoint checkpoint = Checkpoint.open(directory)) {
            return new DecoderEngine(DecoderLoader.load(checkpoint, config), backend);
        }
    }

    public DecoderConfig config() {
        return config;
    }

    /** The routing the model implies before any option: its top-k and weights, without capacity. */
    public RoutingConfig defaultRouting() {
        return defaultRouting;
    }

    /** The backend's description, such as {@code java}. */
    public String backend() {
        return description;
    }

    /** The model under {@code routing} and {@code placement}, applied in every MoE layer. */
    public DecoderModel model(RoutingConfig routing, Placement placement) {
        return new DecoderModel(this, routing, placement);
    }

    List<DecoderLayer> layers() {
        return layers;
    }

    float[] embedTokens() {
        return embedTokens;
    }

    float[] finalNorm() {
        return finalNorm;
    }

    Linear lmHead() {
        return lmHead;
    }

    @Override
    public void close() {
        layers.forEach(DecoderLayer::close);
        lmHead.close();
    }
}
