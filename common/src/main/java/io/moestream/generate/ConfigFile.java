package io.moestream.generate;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The config.json of a generated model in its family's real format: the keys and constants of the
 * released model's file, with the sizes of the generated layer, one hidden layer, and keys sorted
 * as transformers writes them. Attention settings are kept from the real model although the
 * checkpoint holds no attention weights, so the file reads as the family's own. A {@code moe_stream}
 * entry records how the model was generated.
 */
final class ConfigFile {

    private ConfigFile() {
    }

    /** The keys and values of the config.json of {@code spec}. */
    static Map<String, Object> of(ModelSpec spec) {
        Map<String, Object> config = new TreeMap<>();
        Preset preset = spec.preset();
        config.put("model_type", preset.modelType());
        config.put("hidden_act", "silu");
        config.put("hidden_size", spec.hidden());
        config.put("initializer_range", 0.02);
        config.put("num_experts_per_tok", preset.topK());
        config.put("num_hidden_layers", 1);
        config.put("tie_word_embeddings", false);
        config.put("torch_dtype", spec.scale() == Scale.FULL ? "bfloat16" : "float32");
        config.put("use_cache", true);
        config.put("vocab_size", spec.vocabSize());
        config.put("attention_dropout", 0.0);
        // Mixtral's file has no norm_topk_prob: it always renormalises.
        if (preset != Preset.MIXTRAL_LIKE) {
            config.put("norm_topk_prob", preset.normTopkProb());
        }
        switch (preset) {
            case MIXTRAL_LIKE -> mixtral(config, spec);
            case OLMOE_LIKE -> olmoe(config, spec);
            case QWEN_MOE_LIKE -> qwen2Moe(config, spec);
            case DEEPSEEK_LIKE -> deepseekV2(config, spec);
        }
        config.put("moe_stream", new TreeMap<>(Map.of("preset", preset.label(), "scale", spec.scale().label(),
                "skew", spec.skew(), "seed", spec.seed())));
        return config;
    }

    /** mistralai/Mixtral-8x7B-v0.1. */
    private static void mixtral(Map<String, Object> config, ModelSpec spec) {
        config.put("architectures", List.of("MixtralForCausalLM"));
        config.put("intermediate_size", spec.expertFfn());
        config.put("num_local_experts", spec.preset().experts());
        config.put("max_position_embeddings", 32768);
        config.put("num_attention_heads", 32);
        config.put("num_key_value_heads", 8);
        config.put("output_router_logits", false);
        config.put("rms_norm_eps", 1e-5);
        config.put("rope_theta", 1e6);
        config.put("router_aux_loss_coef", 0.02);
        config.put("sliding_window", null);
    }

    /** allenai/OLMoE-1B-7B-0924. */
    private static void olmoe(Map<String, Object> config, ModelSpec spec) {
        config.put("architectures", List.of("OlmoeForCausalLM"));
        config.put("intermediate_size", spec.expertFfn());
        config.put("num_experts", spec.preset().experts());
        config.put("attention_bias", false);
        config.put("clip_qkv", null);
        config.put("max_position_embeddings", 4096);
        config.put("num_attention_heads", 16);
        config.put("num_key_value_heads", 16);
        config.put("output_router_logits", false);
        config.put("rms_norm_eps", 1e-5);
        config.put("rope_scaling", null);
        config.put("rope_theta", 10000.0);
        config.put("router_aux_loss_coef", 0.01);
    }

    /** Qwen/Qwen1.5-MoE-A2.7B. */
    private static void qwen2Moe(Map<String, Object> config, ModelSpec spec) {
        config.put("architectures", List.of("Qwen2MoeForCausalLM"));
        config.put("intermediate_size", spec.denseFfn());
        config.put("moe_intermediate_size", spec.expertFfn());
        config.put("shared_expert_intermediate_size", spec.sharedFfn());
        config.put("num_experts", spec.preset().experts());
        config.put("decoder_sparse_step", 1);
        config.put("max_position_embeddings", 8192);
        config.put("max_window_layers", 21);
        config.put("num_attention_heads", 16);
        config.put("num_key_value_heads", 16);
        config.put("output_router_logits", false);
        config.put("rms_norm_eps", 1e-6);
        config.put("rope_theta", 1e6);
        config.put("router_aux_loss_coef", 0.001);
        config.put("sliding_window", 32768);
        config.put("use_sliding_window", false);
    }

    /** deepseek-ai/DeepSeek-V2-Lite, with its one layer an MoE layer (first_k_dense_replace 0). */
    private static void deepseekV2(Map<String, Object> config, ModelSpec spec) {
        config.put("architectures", List.of("DeepseekV2ForCausalLM"));
        config.put("intermediate_size", spec.denseFfn());
        config.put("moe_intermediate_size", spec.expertFfn());
        config.put("n_routed_experts", spec.preset().experts());
        config.put("n_shared_experts", spec.sharedFfn() / spec.expertFfn());
        config.put("first_k_dense_replace", 0);
        config.put("moe_layer_freq", 1);
        config.put("scoring_func", "softmax");
        config.put("topk_method", "greedy");
        config.put("n_group", 1);
        config.put("topk_group", 1);
        config.put("routed_scaling_factor", 1.0);
        config.put("aux_loss_alpha", 0.001);
        config.put("seq_aux", true);
        config.put("attention_bias", false);
        config.put("kv_lora_rank", 512);
        config.put("q_lora_rank", null);
        config.put("qk_nope_head_dim", 128);
        config.put("qk_rope_head_dim", 64);
        config.put("v_head_dim", 128);
        config.put("max_position_embeddings", 163840);
        config.put("num_attention_heads", 16);
        config.put("num_key_value_heads", 16);
        config.put("rms_norm_eps", 1e-6);
        config.put("rope_theta", 10000);
    }
}
