package io.moestream.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The JSON files that describe a generated model, in its family's real format, keys sorted as
 * transformers writes them: config.json with every key the family's transformers config class
 * reads, at the generated model's sizes and the released model's constants (positions, rotary
 * base, norm epsilon, auxiliary-loss settings), and the ids of the generated tokenizer's special
 * tokens; generation_config.json as {@code GenerationConfig.from_model_config} derives it; and
 * tokenizer_config.json naming the special tokens, so that transformers' AutoTokenizer reads the
 * right ones whatever its default for the family. A {@code moe_stream} entry in config.json
 * records how the model was generated.
 */
final class ConfigFile {

    private ConfigFile() {
    }

    /** The keys and values of the config.json of {@code spec}, whose tokenizer is {@code tokenizer}. */
    static Map<String, Object> of(ModelSpec spec, GeneratedTokenizer tokenizer) {
        Map<String, Object> config = new TreeMap<>();
        Preset preset = spec.preset();
        config.put("model_type", preset.modelType());
        config.put("attention_dropout", 0.0);
        config.put("hidden_act", "silu");
        config.put("hidden_size", spec.hidden());
        config.put("initializer_range", 0.02);
        config.put("num_attention_heads", spec.heads());
        config.put("num_key_value_heads", spec.kvHeads());
        config.put("num_experts_per_tok", preset.topK());
        config.put("num_hidden_layers", spec.layers());
        config.put("tie_word_embeddings", false);
        config.put("torch_dtype", spec.scale() == Scale.FULL ? "bfloat16" : "float32");
        config.put("use_cache", true);
        config.put("vocab_size", spec.vocabSize());
        // Nulls are written: OLMoE's config names no BOS, as its file says.
        SpecialTokens specials = tokenizer.specials();
        config.put("bos_token_id", tokenizer.id(specials.bos()));
        config.put("eos_token_id", tokenizer.id(specials.eos()));
        if (specials.pad() != null) {
            config.put("pad_token_id", tokenizer.id(specials.pad()));
        }
        // Mixtral's file has no norm_topk_prob: it always renormalises.
        if (preset != Preset.MIXTRAL_LIKE) {
            config.put("norm_topk_prob", preset.normTopkProb());
        }
        switch (preset) {
            case MIXTRAL_LIKE -> mixtral(config, spec);
            case OLMOE_LIKE -> olmoe(config, spec);
            case QWEN_MOE_LIKE -> qwen2Moe(config, spec);
            case QWEN3_MOE_LIKE -> qwen3Moe(config, spec);
            case DEEPSEEK_LIKE -> deepseekV2(config, spec);
        }
        config.put("moe_stream", new TreeMap<>(Map.of("preset", preset.label(), "scale", spec.scale().label(),
                "skew", spec.skew(), "seed", spec.seed())));
        return config;
    }

    /** generation_config.json: the special-token ids of config.json, the ones a config leaves null omitted. */
    static Map<String, Object> generation(GeneratedTokenizer tokenizer) {
        Map<String, Object> generation = new TreeMap<>();
        generation.put("_from_model_config", true);
        SpecialTokens specials = tokenizer.specials();
        putPresent(generation, "bos_token_id", tokenizer.id(specials.bos()));
        putPresent(generation, "eos_token_id", tokenizer.id(specials.eos()));
        putPresent(generation, "pad_token_id", tokenizer.id(specials.pad()));
        return generation;
    }

    /**
     * tokenizer_config.json: the special tokens by name and the longest input. The tokenizer.json
     * beside it is a plain {@code tokenizers} file, hence {@code PreTrainedTokenizerFast}; its own
     * post-processor adds BOS where the family does.
     */
    static Map<String, Object> tokenizer(ModelSpec spec, GeneratedTokenizer tokenizer) {
        Map<String, Object> config = new TreeMap<>();
        SpecialTokens specials = tokenizer.specials();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", maxPositionEmbeddings(spec.preset()));
        putPresent(config, "bos_token", specials.bos());
        putPresent(config, "eos_token", specials.eos());
        putPresent(config, "pad_token", specials.pad());
        return config;
    }

    /** config.json's {@code max_position_embeddings}: the released model's. */
    static int maxPositionEmbeddings(Preset preset) {
        return switch (preset) {
            case MIXTRAL_LIKE -> 32768;
            case OLMOE_LIKE -> 4096;
            case QWEN_MOE_LIKE -> 8192;
            case QWEN3_MOE_LIKE -> 40960;
            case DEEPSEEK_LIKE -> 163840;
        };
    }

    /** mistralai/Mixtral-8x7B-v0.1. */
    private static void mixtral(Map<String, Object> config, ModelSpec spec) {
        config.put("architectures", List.of("MixtralForCausalLM"));
        config.put("intermediate_size", spec.expertFfn());
        config.put("num_local_experts", spec.preset().experts());
        config.put("max_position_embeddings", maxPositionEmbeddings(spec.preset()));
        config.put("output_router_logits", false);
        config.put("rms_norm_eps", 1e-5);
        config.put("rope_theta", 1e6);
        config.put("router_aux_loss_coef", 0.02);
        config.put("router_jitter_noise", 0.0);
        config.put("sliding_window", null);
    }

    /** allenai/OLMoE-1B-7B-0924. */
    private static void olmoe(Map<String, Object> config, ModelSpec spec) {
        config.put("architectures", List.of("OlmoeForCausalLM"));
        config.put("intermediate_size", spec.expertFfn());
        config.put("num_experts", spec.preset().experts());
        config.put("attention_bias", false);
        config.put("clip_qkv", null);
        config.put("max_position_embeddings", maxPositionEmbeddings(spec.preset()));
        config.put("output_router_logits", false);
        config.put("rms_norm_eps", 1e-5);
        config.put("rope_scaling", null);
        config.put("rope_theta", 10000.0);
        config.put("router_aux_loss_coef", 0.01);
    }

    /** Qwen/Qwen1.5-MoE-A2.7B, with its last layer dense where the model has more than one. */
    private static void qwen2Moe(Map<String, Object> config, ModelSpec spec) {
        config.put("architectures", List.of("Qwen2MoeForCausalLM"));
        qwenMoe(config, spec);
        config.put("shared_expert_intermediate_size", spec.sharedFfn());
        config.put("rope_theta", 1e6);
        config.put("sliding_window", 32768);
    }

    /** Qwen/Qwen3-30B-A3B, with its last layer dense where the model has more than one. */
    private static void qwen3Moe(Map<String, Object> config, ModelSpec spec) {
        config.put("architectures", List.of("Qwen3MoeForCausalLM"));
        qwenMoe(config, spec);
        config.put("attention_bias", false);
        config.put("head_dim", spec.headDim());
        config.put("rope_theta", 1e6);
        config.put("sliding_window", null);
    }

    /** What Qwen1.5-MoE and Qwen3-MoE share. */
    private static void qwenMoe(Map<String, Object> config, ModelSpec spec) {
        config.put("intermediate_size", spec.denseFfn());
        config.put("moe_intermediate_size", spec.expertFfn());
        config.put("num_experts", spec.preset().experts());
        config.put("decoder_sparse_step", 1);
        config.put("mlp_only_layers", new ArrayList<>(new TreeSet<>(spec.denseLayers())));
        config.put("max_position_embeddings", maxPositionEmbeddings(spec.preset()));
        config.put("max_window_layers", spec.layers());
        config.put("output_router_logits", false);
        config.put("rms_norm_eps", 1e-6);
        config.put("rope_scaling", null);
        config.put("router_aux_loss_coef", 0.001);
        config.put("use_sliding_window", false);
    }

    /**
     * deepseek-ai/DeepSeek-V2-Lite, with plain rotary embeddings (its file has YaRN scaling) and its
     * first layer an MoE layer (see {@link ModelSpec#denseLayers()}).
     */
    private static void deepseekV2(Map<String, Object> config, ModelSpec spec) {
        LatentAttention mla = spec.latentAttention().orElseThrow();
        config.put("architectures", List.of("DeepseekV2ForCausalLM"));
        config.put("intermediate_size", spec.denseFfn());
        config.put("moe_intermediate_size", spec.expertFfn());
        config.put("n_routed_experts", spec.preset().experts());
        config.put("n_shared_experts", spec.sharedFfn() / spec.expertFfn());
        // DeepSeek's dense layers are the first k.
        config.put("first_k_dense_replace", spec.denseLayers().size());
        config.put("moe_layer_freq", 1);
        config.put("scoring_func", "softmax");
        config.put("topk_method", "greedy");
        config.put("n_group", 1);
        config.put("topk_group", 1);
        config.put("routed_scaling_factor", 1.0);
        config.put("aux_loss_alpha", 0.001);
        config.put("seq_aux", true);
        config.put("attention_bias", false);
        config.put("kv_lora_rank", mla.kvLoraRank());
        config.put("q_lora_rank", null);
        config.put("qk_nope_head_dim", mla.qkNopeHeadDim());
        config.put("qk_rope_head_dim", mla.qkRopeHeadDim());
        config.put("v_head_dim", mla.vHeadDim());
        config.put("max_position_embeddings", maxPositionEmbeddings(spec.preset()));
        config.put("rms_norm_eps", 1e-6);
        config.put("rope_scaling", null);
        config.put("rope_theta", 10000);
    }

    private static void putPresent(Map<String, Object> map, String key, Object value) {
        if (value != null) {
            map.put(key, value);
        }
    }
}
