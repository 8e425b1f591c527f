package io.moestream.model;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the attention, norm and token settings of a transformers config.json. The MoE settings
 * come from {@link ConfigJson}, so both readers see the same file the same way.
 */
final class DecoderConfigJson {

    private DecoderConfigJson() {
    }

    static DecoderConfig parse(Path file) {
        if (!Files.isRegularFile(file)) {
            throw CheckpointException.ofFile(file, "is missing: a whole model needs its config.json");
        }
        ConfigFields fields = ConfigFields.read(file);
        ModelConfig moe = ConfigJson.parse(fields);
        String modelType = moe.modelType();
        if (modelType.equals("deepseek_v2")) {
            throw CheckpointException.ofFile(file, "model_type 'deepseek_v2' uses multi-head latent attention, which the"
                    + " whole-model engine does not implement; its MoE layers still run alone (moe forward, replay, the"
                    + " pipeline)");
        }
        refuseUnsupported(fields);
        int hidden = moe.hiddenSize();
        int heads = fields.required("num_attention_heads");
        fields.positive("num_attention_heads", heads);
        // OLMoE leaves num_key_value_heads null to mean "as many as the query heads"; Mixtral's default is 8.
        int kvHeads = fields.optional("num_key_value_heads", modelType.equals("mixtral") ? 8 : heads);
        int headDim = fields.has("head_dim") ? fields.required("head_dim") : headDimOf(fields, hidden, heads);
        boolean qwen = modelType.startsWith("qwen");
        try {
            return new DecoderConfig(moe, heads, kvHeads, headDim,
                    fields.positiveNumber("rope_theta", modelType.equals("mixtral") ? 1e6 : 10000.0),
                    fields.positiveNumber("rms_norm_eps", qwen ? 1e-6 : 1e-5),
                    fields.required("max_position_embeddings"),
                    fields.flag("tie_word_embeddings", false),
                    // Qwen2-MoE's attention always has q/k/v biases; the others follow attention_bias.
                    modelType.equals("qwen2_moe") || fields.flag("attention_bias", false),
                    switch (modelType) {
                        case "olmoe" -> QkNorm.WHOLE;
                        case "qwen3_moe" -> QkNorm.PER_HEAD;
                        default -> QkNorm.NONE;
                    },
                    fields.positiveNumber("clip_qkv", 0),
                    moe.denseLayers().isEmpty() ? 0 : fields.required("intermediate_size"),
                    modelType.equals("mixtral") ? fields.optional("sliding_window", 0) : 0,
                    fields.optionalId("bos_token_id"),
                    fields.intOrArray("eos_token_id"));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, null, e.getMessage(), e);
        }
    }

    private static int headDimOf(ConfigFields fields, int hidden, int heads) {
        if (hidden % heads != 0) {
            throw CheckpointException.ofFile(fields.file(), "hidden_size " + hidden + " is not divisible by"
                    + " num_attention_heads " + heads + ", and there is no head_dim");
        }
        return hidden / heads;
    }

    /**
     * Settings that change the computation in ways this engine does not implement are refused
     * rather than ignored: ignoring them would give plausible but wrong logits.
     */
    private static void refuseUnsupported(ConfigFields fields) {
        if (fields.has("rope_scaling")) {
            throw CheckpointException.ofFile(fields.file(), "rope_scaling " + fields.text("rope_scaling")
                    + " is not supported; only plain rotary embeddings (rope_scaling null) are");
        }
        if (fields.flag("use_sliding_window", false)) {
            throw CheckpointException.ofFile(fields.file(), "use_sliding_window true is not supported");
        }
        String act = fields.has("hidden_act") ? fields.string("hidden_act") : "silu";
        if (!act.equals("silu")) {
            throw CheckpointException.ofFile(fields.file(), "hidden_act '" + act + "' is not supported; the experts are SwiGLU (silu)");
        }
    }
}
