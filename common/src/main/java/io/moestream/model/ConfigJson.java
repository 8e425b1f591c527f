package io.moestream.model;

import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Reads a transformers config.json into a {@link ModelConfig}. Each model type spells the same
 * quantities differently; where a key is optional, its default is the one of transformers' config
 * class for that model type.
 */
final class ConfigJson {

    private final Path file;
    private final JsonNode root;

    private ConfigJson(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    static ModelConfig parse(Path file) {
        return new ConfigJson(file, Json.readObject(file)).parse();
    }

    private ModelConfig parse() {
        JsonNode typeNode = root.get("model_type");
        if (typeNode == null || !typeNode.isString()) {
            throw CheckpointException.ofFile(file, "has no model_type string");
        }
        String modelType = typeNode.stringValue();
        NamingFamily family = NamingFamily.forModelType(modelType).orElseThrow(() -> CheckpointException.ofFile(file,
                "model_type '" + modelType + "' is not supported (mixtral, qwen2_moe, qwen3_moe, olmoe, deepseek_v2)"));
        int layers = required("num_hidden_layers");
        ModelConfig.Builder builder = ModelConfig.builder(family)
                .modelType(modelType)
                .hiddenSize(required("hidden_size"))
                .topK(required("num_experts_per_tok"))
                .numHiddenLayers(layers)
                .vocabSize(required("vocab_size"))
                .normTopkProb(flag("norm_topk_prob"));
        switch (modelType) {
            // Mixtral has no norm_topk_prob: it always renormalises the top-k weights.
            case "mixtral" -> builder.numExperts(required("num_local_experts"))
                    .expertFfnSize(required("intermediate_size"))
                    .normTopkProb(true);
            case "olmoe" -> builder.numExperts(required("num_experts"))
                    .expertFfnSize(required("intermediate_size"));
            case "qwen2_moe", "qwen3_moe" -> {
                builder.numExperts(required("num_experts"))
                        .expertFfnSize(required("moe_intermediate_size"))
                        .denseLayers(qwenDenseLayers(layers));
                if (modelType.equals("qwen2_moe")) {
                    int shared = required("shared_expert_intermediate_size");
                    builder.sharedExpert(shared == 0 ? SharedExpertKind.NONE : SharedExpertKind.QWEN2_MOE, shared);
                }
            }
            case "deepseek_v2" -> {
                int expertFfn = required("moe_intermediate_size");
                int shared = optional("n_shared_experts", 0);
                builder.numExperts(required("n_routed_experts"))
                        .expertFfnSize(expertFfn)
                        .sharedExpert(shared == 0 ? SharedExpertKind.NONE : SharedExpertKind.DEEPSEEK_V2,
                                Math.multiplyExact(shared, expertFfn))
                        .denseLayers(deepseekDenseLayers(layers));
            }
            default -> throw new IllegalStateException("model_type " + modelType + " has a family but no parser");
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, null, e.getMessage(), e);
        }
    }

    /** Qwen MoE layers: not in mlp_only_layers, and every decoder_sparse_step-th layer counting from 1. */
    private Set<Integer> qwenDenseLayers(int layers) {
        int step = optional("decoder_sparse_step", 1);
        Set<Integer> mlpOnly = intSet("mlp_only_layers");
        positive("decoder_sparse_step", step);
        return layersWhere(layers, layer -> mlpOnly.contains(layer) || (layer + 1) % step != 0);
    }

    /** DeepSeek-V2 MoE layers: from first_k_dense_replace on, every moe_layer_freq-th. */
    private Set<Integer> deepseekDenseLayers(int layers) {
        int firstMoe = optional("first_k_dense_replace", 0);
        int frequency = optional("moe_layer_freq", 1);
        positive("moe_layer_freq", frequency);
        return layersWhere(layers, layer -> layer < firstMoe || layer % frequency != 0);
    }

    private static Set<Integer> layersWhere(int layers, IntPredicate dense) {
        Set<Integer> result = new HashSet<>();
        for (int layer = 0; layer < layers; layer++) {
            if (dense.test(layer)) {
                result.add(layer);
            }
        }
        return result;
    }

    private int required(String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            throw CheckpointException.ofFile(file, "has no " + key);
        }
        return nonNegativeInt(key, node);
    }

    private int optional(String key, int absent) {
        JsonNode node = root.get(key);
        return node == null || node.isNull() ? absent : nonNegativeInt(key, node);
    }

    private boolean flag(String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw CheckpointException.ofFile(file, key + " must be true or false, got " + node);
        }
        return node.booleanValue();
    }

    private Set<Integer> intSet(String key) {
        JsonNode node = root.get(key);
        Set<Integer> values = new HashSet<>();
        if (node == null || node.isNull()) {
            return values;
        }
        if (!node.isArray()) {
            throw CheckpointException.ofFile(file, key + " must be an array of layer indices, got " + node);
        }
        node.forEach(element -> values.add(nonNegativeInt(key, element)));
        return values;
    }

    private int nonNegativeInt(String key, JsonNode node) {
        long value = Json.nonNegativeLong(node);
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw CheckpointException.ofFile(file, key + " must be a non-negative integer, got " + node);
        }
        return (int) value;
    }

    private void positive(String key, int value) {
        if (value < 1) {
            throw CheckpointException.ofFile(file, key + " must be at least 1, got " + value);
        }
    }
}
