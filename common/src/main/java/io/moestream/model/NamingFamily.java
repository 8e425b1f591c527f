package io.moestream.model;

import java.util.Optional;

/**
 * How a checkpoint names the tensors of its MoE layers. Transformers' own checkpoints of these
 * models keep one tensor per expert and matrix, which is what lets a process load only its experts.
 */
public enum NamingFamily {
    /** Mixtral: {@code model.layers.L.block_sparse_moe.gate.weight}, {@code ...experts.i.w1.weight}. */
    MIXTRAL("block_sparse_moe"),
    /**
     * Qwen2-MoE, Qwen3-MoE, OLMoE and DeepSeek-V2: {@code model.layers.L.mlp.gate.weight},
     * {@code ...mlp.experts.i.gate_proj.weight}.
     */
    MLP("mlp");

    /** The token embedding table, {@code [vocab][hidden]}, named alike in every family. */
    public static final String EMBED_TOKENS = "model.embed_tokens.weight";

    private final String module;

    NamingFamily(String module) {
        this.module = module;
    }

    /** The family of a config.json {@code model_type}, if it is one this project loads. */
    public static Optional<NamingFamily> forModelType(String modelType) {
        return switch (modelType) {
            case "mixtral" -> Optional.of(MIXTRAL);
            case "qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v2" -> Optional.of(MLP);
            default -> Optional.empty();
        };
    }

    /** The family of a checkpoint without config.json, told by the names of its expert tensors. */
    public static NamingFamily detect(Checkpoint checkpoint) {
        boolean mixtral = checkpoint.names().stream().anyMatch(name -> name.contains(".block_sparse_moe.experts."));
        boolean mlp = checkpoint.names().stream().anyMatch(name -> name.contains(".mlp.experts."));
        if (mixtral == mlp) {
            throw CheckpointException.ofFile(checkpoint.directory(), (mixtral ? "has both" : "has neither")
                    + " Mixtral (block_sparse_moe.experts) and mlp.experts tensors: cannot tell its naming family");
        }
        return mixtral ? MIXTRAL : MLP;
    }

    /** The router weight of {@code layer}, {@code [experts][hidden]}. */
    public String gate(int layer) {
        return layerModule(layer) + ".gate.weight";
    }

    /** One matrix of routed expert {@code expert} in {@code layer}. */
    public String expert(int layer, int expert, Projection projection) {
        return layerModule(layer) + ".experts." + expert + "." + projection.nameIn(this) + ".weight";
    }

    private String layerModule(int layer) {
        return "model.layers." + layer + "." + module;
    }
}
