package io.moestream.decoder;

import io.moestream.layer.ExpertExecutor;
import io.moestream.layer.LocalExperts;
import io.moestream.layer.MoeLayers;
import io.moestream.model.Checkpoint;
import io.moestream.model.DecoderConfig;
import io.moestream.model.DecoderLayerWeights;
import io.moestream.model.DecoderLoader;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
    private final LocalExperts localExperts;

    /**
     * Loads a layer at a time and hands it to the backend before reading the next, so that a backend
     * that keeps its own copy (native memory, the GPU) never needs the whole model on the Java heap.
     */
    private DecoderEngine(DecoderLoader loader, ComputeBackend backend) {
        this.config = loader.config();
        this.embedTokens = loader.embedTokens();
        this.finalNorm = loader.finalNorm();
        Rope rope = new Rope(config.headDim(), config.ropeTheta());
        List<DecoderLayer> built = new ArrayList<>();
        RoutingConfig modelRouting = null;
        try {
            for (int l = 0; l < config.numHiddenLayers(); l++) {
                DecoderLayerWeights layer = loader.layer(l);
                built.add(new DecoderLayer(config, layer, backend, rope));
                if (modelRouting == null && layer.moe() != null) {
                    modelRouting = MoeLayers.defaultRouting(layer.moe());
                }
            }
            if (modelRouting == null) {
                throw new IllegalArgumentException("the model has no MoE layer, so there is nothing to route");
            }
            this.lmHead = backend.linear(loader.lmHead(embedTokens), config.vocabSize(), config.hiddenSize());
        } catch (RuntimeException | Error e) {
            built.forEach(DecoderLayer::close);
            throw e;
        }
        this.layers = List.copyOf(built);
        this.defaultRouting = modelRouting;
        this.description = backend.description();
        Map<Integer, LocalExperts.LayerKernels> kernels = new HashMap<>();
        for (DecoderLayer layer : layers) {
            if (layer.isMoe()) {
                kernels.put(layer.index(), layer.kernels());
            }
        }
        this.localExperts = new LocalExperts(kernels);
    }

    /** Loads the checkpoint in {@code directory} (config.json and safetensors) onto {@code backend}. */
    public static DecoderEngine load(Path directory, ComputeBackend backend) {
        DecoderConfig config = DecoderConfig.read(directory);
        try (Checkpoint checkpoint = Checkpoint.open(directory)) {
            return new DecoderEngine(new DecoderLoader(checkpoint, config), backend);
        }
    }

    /**
     * Loads all but the routed experts' weights, most of an MoE checkpoint (Mixtral-8x7B: 45 of its 47 billion
     * parameters): for the dense worker, whose {@link #model(RoutingConfig, Placement, ExpertExecutor)} computes
     * them on the expert services. Its {@link #localExperts} compute only the shared experts.
     */
    public static DecoderEngine loadWithoutRoutedExperts(Path directory, ComputeBackend backend) {
        DecoderConfig config = DecoderConfig.read(directory);
        try (Checkpoint checkpoint = Checkpoint.open(directory)) {
            return new DecoderEngine(DecoderLoader.withoutRoutedExperts(checkpoint, config), backend);
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
        return model(routing, placement, localExperts);
    }

    /**
     * The model under {@code routing} and {@code placement}, its experts computed by
     * {@code executor}: on the expert services for the dense worker, or {@link #localExperts()} with
     * the wire's rounding.
     */
    public DecoderModel model(RoutingConfig routing, Placement placement, ExpertExecutor executor) {
        return new DecoderModel(this, routing, placement, executor);
    }

    /** Every MoE layer's experts, computed by this engine's kernels. */
    public ExpertExecutor localExperts() {
        return localExperts;
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
