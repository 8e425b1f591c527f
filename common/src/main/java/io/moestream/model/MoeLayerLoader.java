package io.moestream.model;

import io.moestream.expert.ExpertWeights;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Loads one MoE layer out of a checkpoint: router, the routed experts asked for, shared experts.
 * Every tensor's shape is checked against the configuration before its data is read.
 */
public final class MoeLayerLoader {

    private MoeLayerLoader() {
    }

    /** Loads layer {@code layer} with all of its routed experts. */
    public static MoeLayerWeights load(Checkpoint checkpoint, ModelConfig config, int layer) {
        return load(checkpoint, config, layer, null);
    }

    /**
     * Loads layer {@code layer} with only the routed experts in {@code experts} (all of them when
     * {@code null}): an expert-parallel process reads only the experts it hosts.
     */
    public static MoeLayerWeights load(Checkpoint checkpoint, ModelConfig config, int layer, Set<Integer> experts) {
        NamingFamily names = config.family();
        int d = config.hiddenSize();
        int e = config.numExperts();
        if (!config.isMoeLayer(layer)) {
            throw new CheckpointException(checkpoint.directory(), names.gate(layer), notMoe(config, layer));
        }
        Set<Integer> wanted = experts == null ? IntStream.range(0, e).boxed().collect(Collectors.toSet()) : experts;
        wanted.stream().filter(id -> id < 0 || id >= e).findAny().ifPresent(id -> {
            throw new IllegalArgumentException("expert " + id + " is outside 0.." + (e - 1));
        });
        float[] gate = checkpoint.tensor(names.gate(layer), e, d).data();
        Map<Integer, ExpertWeights> routed = new LinkedHashMap<>();
        for (int id : wanted) {
            routed.put(id, expert(checkpoint, d, config.expertFfnSize(),
                    projection -> names.expert(layer, id, projection)));
        }
        return new MoeLayerWeights(layer, d, e, config.topK(), config.normTopkProb(), gate, routed,
                sharedExperts(checkpoint, config, layer), sharedExpertGate(checkpoint, config, layer));
    }

    private static List<ExpertWeights> sharedExperts(Checkpoint checkpoint, ModelConfig config, int layer) {
        SharedExpertKind kind = config.sharedExpert();
        if (kind == SharedExpertKind.NONE) {
            requireNoSharedTensors(checkpoint, layer);
            return List.of();
        }
        return List.of(expert(checkpoint, config.hiddenSize(), config.sharedExpertFfnSize(),
                projection -> kind.tensor(layer, projection)));
    }

    private static Optional<float[]> sharedExpertGate(Checkpoint checkpoint, ModelConfig config, int layer) {
        SharedExpertKind kind = config.sharedExpert();
        if (!kind.gated()) {
            return Optional.empty();
        }
        return Optional.of(checkpoint.tensor(kind.gateTensor(layer), 1, config.hiddenSize()).data());
    }

    /**
     * Ignoring a shared expert the configuration does not declare would silently give wrong outputs,
     * so a checkpoint that has one must be described as having one.
     */
    private static void requireNoSharedTensors(Checkpoint checkpoint, int layer) {
        for (SharedExpertKind kind : List.of(SharedExpertKind.QWEN2_MOE, SharedExpertKind.DEEPSEEK_V2)) {
            String name = kind.tensor(layer, Projection.W1);
            if (checkpoint.has(name)) {
                throw new CheckpointException(checkpoint.directory(), name, "the checkpoint has a " + kind
                        + " shared expert, but the configuration declares none");
            }
        }
    }

    private static ExpertWeights expert(Checkpoint checkpoint, int hidden, int ffn, Function<Projection, String> naming) {
        return new ExpertWeights(hidden, ffn,
                matrix(checkpoint, naming, Projection.W1, hidden, ffn),
                matrix(checkpoint, naming, Projection.W3, hidden, ffn),
                matrix(checkpoint, naming, Projection.W2, hidden, ffn));
    }

    private static float[] matrix(Checkpoint checkpoint, Function<Projection, String> naming, Projection projection,
                                  int hidden, int ffn) {
        return checkpoint.tensor(naming.apply(projection), projection.shape(hidden, ffn)).data();
    }

    private static String notMoe(ModelConfig config, int layer) {
        if (layer < 0 || (config.numHiddenLayers() > 0 && layer >= config.numHiddenLayers())) {
            return "layer " + layer + " does not exist (num_hidden_layers=" + config.numHiddenLayers() + ")";
        }
        return "layer " + layer + " is a dense layer of this model, not an MoE layer (dense layers: "
                + config.denseLayers() + ")";
    }
}
