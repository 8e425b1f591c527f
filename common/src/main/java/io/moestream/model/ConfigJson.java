package io.moestream.model;

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
    private final ConfigFields fields;

    private ConfigJson(ConfigFields fields) {
        this.file = fields.file();
        this.fields = fields;
    }

    static ModelConfig parse(Path file) {
        return parse(ConfigFields.read(file));
    }

    static ModelConfig parse(ConfigFields fields) {
        return new ConfigJson(fields).parse();
    }

    private ModelConfig parse() {
        String modelType = fields.string("model_type");
        NamingFamily family = NamingFamily.forModelType(modelType).orElseThrow(() -> CheckpointException.ofFile(file,
                "model_type '" + modelType + "' is not supported (mixtral, qwen2_moe, qwen3_moe, olmoe, deepseek_v2)"));
        int layers = fields.required("num_hidden_layers");
        ModelConfig.Builder builder = ModelConfig.builder(family)
                .modelType(modelType)
                .hiddenSize(fields.required("hidden_size"))
                .topK(fields.required("num_experts_per_tok"))
                .numHiddenLayers(layers)
                .vocabSize(fields.required("vocab_size"))
                .normTopkProb(fields.flag("norm_topk_prob", false));
        switch (modelType) {
            // Mixtral has no norm_topk_prob: it always renormalises the top-k weights.
            case "mixtral" -> builder.numExperts(fields.required("num_local_experts"))
                    .expertFfnSize(fields.required("intermediate_size"))
                    .normTopkProb(true);
            case "olmoe" -> builder.numExperts(fields.required("num_experts"))
                    .expertFfnSize(fields.required("intermediate_size"));
            case "qwen2_moe", "qwen3_moe" -> {
                builder.numExperts(fields.required("num_experts"))
                        .expertFfnSize(fields.required("moe_intermediate_size"))
                        .denseLayers(qwenDenseLayers(layers));
                if (modelType.equals("qwen2_moe")) {
                    int shared = fields.required("shared_expert_intermediate_size");
                    builder.sharedExpert(shared == 0 ? SharedExpertKind.NONE : SharedExpertKind.QWEN2_MOE, shared);
                }
            }
            case "deepseek_v2" -> {
                int expertFfn = fields.required("moe_intermediate_size");
                int shared = fields.optional("n_shared_experts", 0);
                builder.numExperts(fields.required("n_routed_experts"))
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
        int step = fields.optional("decoder_sparse_step", 1);
        Set<Integer> mlpOnly = fields.intSet("mlp_only_layers");
        fields.positive("decoder_sparse_step", step);
        return layersWhere(layers, layer -> mlpOnly.contains(layer) || (layer + 1) % step != 0);
    }

    /** DeepSeek-V2 MoE layers: from first_k_dense_replace on, every moe_layer_freq-th. */
    private Set<Integer> deepseekDenseLayers(int layers) {
        int firstMoe = fields.optional("first_k_dense_replace", 0);
        int frequency = fields.optional("moe_layer_freq", 1);
        fields.positive("moe_layer_freq", frequency);
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
}
