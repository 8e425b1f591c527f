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
        boolean deepseek = modelType.equals("deepseek_v2");
        refuseUnsupported(fields);
        if (deepseek) {
            refuseUnportedDeepseek(fields);
        }
        int hidden = moe.hiddenSize();
        int heads = fields.required("num_attention_heads");
        fields.positive("num_attention_heads", heads);
        // OLMoE leaves num_key_value_heads null to mean "as many as the query heads"; Mixtral's default is 8.
        int kvHeads = fields.optional("num_key_value_heads", modelType.equals("mixtral") ? 8 : heads);
        boolean qwen = modelType.startsWith("qwen");
        try {
            LatentAttentionConfig latent = deepseek ? latentAttention(fields) : null;
            // DeepseekV2Config sets head_dim to qk_rope_head_dim: the rotary part is all the rope turns.
            int headDim = deepseek ? latent.qkRopeHeadDim()
                    : fields.has("head_dim") ? fields.required("head_dim") : headDimOf(fields, hidden, heads);
            return new DecoderConfig(moe, heads, kvHeads, headDim,
                    fields.positiveNumber("rope_theta", modelType.equals("mixtral") ? 1e6 : 10000.0),
                    fields.positiveNumber("rms_norm_eps", qwen || deepseek ? 1e-6 : 1e-5),
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
                    latent,
                    deepseek ? fields.positiveNumber("routed_scaling_factor", 1.0) : 1.0,
                    fields.optionalId("bos_token_id"),
                    fields.intOrArray("eos_token_id"));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, null, e.getMessage(), e);
        }
    }

    /**
     * DeepSeek-V2's attention sizes. Each key is required: where transformers has a default it is the
     * full model's (q_lora_rank 1536, say), which a small checkpoint that omits the key would not match.
     */
    private static LatentAttentionConfig latentAttention(ConfigFields fields) {
        if (!fields.present("q_lora_rank")) {
            throw CheckpointException.ofFile(fields.file(), "has no q_lora_rank (null when queries are not compressed)");
        }
        return new LatentAttentionConfig(fields.optional("q_lora_rank", 0), fields.required("kv_lora_rank"),
                fields.required("qk_nope_head_dim"), fields.required("qk_rope_head_dim"), fields.required("v_head_dim"));
    }

    /**
     * DeepSeek-V2 settings that change the computation in ways this engine does not follow, refused by
     * name. {@code norm_topk_prob} true is one where the implementations disagree: DeepSeek's own code
     * then renormalises the top-k weights and skips {@code routed_scaling_factor}, transformers' port
     * ignores the key and scales.
     */
    private static void refuseUnportedDeepseek(ConfigFields fields) {
        Path file = fields.file();
        String topkMethod = fields.has("topk_method") ? fields.string("topk_method") : "greedy";
        if (!topkMethod.equals("greedy")) {
            throw CheckpointException.ofFile(file, "topk_method '" + topkMethod + "' is not supported; only greedy"
                    + " (plain top-k over all experts) is");
        }
        String scoring = fields.has("scoring_func") ? fields.string("scoring_func") : "softmax";
        if (!scoring.equals("softmax")) {
            throw CheckpointException.ofFile(file, "scoring_func '" + scoring + "' is not supported; only softmax is");
        }
        if (fields.flag("norm_topk_prob", false)) {
            throw CheckpointException.ofFile(file, "norm_topk_prob true is not supported for deepseek_v2: DeepSeek's"
                    + " code then renormalises the top-k weights without routed_scaling_factor, transformers' port"
                    + " scales them unnormalised, and the two disagree");
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (fields.flag(bias, false)) {
                throw CheckpointException.ofFile(file, bias + " true is not supported for deepseek_v2");
            }
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
