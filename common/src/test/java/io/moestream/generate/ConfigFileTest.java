package io.moestream.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ConfigFileTest {

    /** What every family's config class reads for attention, norms, positions and tokens. */
    private static final List<String> DECODER_KEYS = List.of("num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "rope_theta", "rms_norm_eps", "max_position_embeddings", "tie_word_embeddings",
            "eos_token_id", "bos_token_id", "vocab_size", "torch_dtype", "hidden_act", "hidden_size",
            "intermediate_size", "initializer_range", "attention_dropout", "use_cache", "num_experts_per_tok");

    @TempDir
    Path dir;

    private Path generated(Preset preset) {
        Path model = dir.resolve(preset.label());
        ModelGenerator.generate(ModelSpec.of(preset, Scale.TINY), model);
        return model;
    }

    private static JsonNode read(Path file) {
        return JsonMapper.builder().build().readTree(file.toFile());
    }

    private JsonNode written(Preset preset) {
        return read(generated(preset).resolve("config.json"));
    }

    @ParameterizedTest
    @EnumSource(Preset.class)
    void everyFamilyHasTheDecoderKeys(Preset preset) {
        JsonNode config = written(preset);

        assertThat(DECODER_KEYS).allSatisfy(key -> assertThat(config.has(key)).as(key).isTrue());
        assertThat(config.get("num_hidden_layers").intValue()).isEqualTo(Scale.TINY.defaultLayers());
        assertThat(config.get("vocab_size").intValue()).isEqualTo(GeneratedTokenizer.DEFAULT_SIZE);
        assertThat(config.get("num_attention_heads").intValue() % config.get("num_key_value_heads").intValue()).isZero();
        assertThat(config.get("tie_word_embeddings").booleanValue()).isFalse();
        assertThat(config.get("torch_dtype").stringValue()).isEqualTo("float32");
    }

    @Test
    void mixtralHasItsOwnExpertKeysAndLlamasTokenIds() {
        JsonNode config = written(Preset.MIXTRAL_LIKE);

        assertThat(config.get("architectures").get(0).stringValue()).isEqualTo("MixtralForCausalLM");
        assertThat(config.get("num_local_experts").intValue()).isEqualTo(8);
        assertThat(config.get("intermediate_size").intValue()).isEqualTo(448);
        assertThat(config.get("num_experts_per_tok").intValue()).isEqualTo(2);
        assertThat(config.has("norm_topk_prob")).isFalse();
        assertThat(config.get("sliding_window").isNull()).isTrue();
        assertThat(config.get("num_attention_heads").intValue()).isEqualTo(8);
        assertThat(config.get("num_key_value_heads").intValue()).isEqualTo(2);
        assertThat(config.get("rope_theta").doubleValue()).isEqualTo(1e6);
        assertThat(config.get("rms_norm_eps").doubleValue()).isEqualTo(1e-5);
        assertThat(config.get("max_position_embeddings").intValue()).isEqualTo(32768);
        assertThat(config.get("bos_token_id").intValue()).isEqualTo(1);
        assertThat(config.get("eos_token_id").intValue()).isEqualTo(2);
    }

    @Test
    void olmoeNamesItsExpertsNumExpertsAndHasNoBos() {
        JsonNode config = written(Preset.OLMOE_LIKE);

        assertThat(config.get("model_type").stringValue()).isEqualTo("olmoe");
        assertThat(config.get("num_experts").intValue()).isEqualTo(64);
        assertThat(config.get("num_experts_per_tok").intValue()).isEqualTo(8);
        assertThat(config.get("intermediate_size").intValue()).isEqualTo(32);
        assertThat(config.get("norm_topk_prob").booleanValue()).isFalse();
        assertThat(config.get("clip_qkv").isNull()).isTrue();
        assertThat(config.get("rope_scaling").isNull()).isTrue();
        assertThat(config.get("bos_token_id").isNull()).isTrue();
        assertThat(config.get("pad_token_id").intValue()).isEqualTo(1);
        assertThat(config.get("rope_theta").doubleValue()).isEqualTo(10000.0);
    }

    @Test
    void qwenHasMoeSharedExpertAndDenseLayerSizes() {
        JsonNode config = written(Preset.QWEN_MOE_LIKE);

        assertThat(config.get("model_type").stringValue()).isEqualTo("qwen2_moe");
        assertThat(config.get("num_experts").intValue()).isEqualTo(60);
        assertThat(config.get("moe_intermediate_size").intValue()).isEqualTo(44);
        assertThat(config.get("shared_expert_intermediate_size").intValue()).isEqualTo(176);
        assertThat(config.get("intermediate_size").intValue()).isEqualTo(176);
        assertThat(config.get("decoder_sparse_step").intValue()).isEqualTo(1);
        assertThat(ints(config.get("mlp_only_layers"))).containsExactly(3);
        assertThat(config.get("use_sliding_window").booleanValue()).isFalse();
        assertThat(config.get("bos_token_id").intValue()).isEqualTo(config.get("eos_token_id").intValue()).isZero();
    }

    @Test
    void qwen3HasItsOwnHeadDimPerHeadNormsAndRenormalisedTopK() {
        JsonNode config = written(Preset.QWEN3_MOE_LIKE);

        assertThat(config.get("model_type").stringValue()).isEqualTo("qwen3_moe");
        assertThat(config.get("architectures").get(0).stringValue()).isEqualTo("Qwen3MoeForCausalLM");
        assertThat(config.get("num_experts").intValue()).isEqualTo(128);
        assertThat(config.get("num_experts_per_tok").intValue()).isEqualTo(8);
        assertThat(config.get("moe_intermediate_size").intValue()).isEqualTo(24);
        assertThat(config.get("intermediate_size").intValue()).isEqualTo(192);
        assertThat(config.get("norm_topk_prob").booleanValue()).isTrue();
        assertThat(config.get("hidden_size").intValue()).isEqualTo(64);
        assertThat(config.get("num_attention_heads").intValue()).isEqualTo(8);
        assertThat(config.get("num_key_value_heads").intValue()).isEqualTo(1);
        assertThat(config.get("head_dim").intValue()).isEqualTo(16);
        assertThat(config.get("rope_theta").doubleValue()).isEqualTo(1e6);
        assertThat(config.get("rms_norm_eps").doubleValue()).isEqualTo(1e-6);
        assertThat(config.get("max_position_embeddings").intValue()).isEqualTo(40960);
        assertThat(ints(config.get("mlp_only_layers"))).containsExactly(3);
        assertThat(config.get("attention_bias").booleanValue()).isFalse();
        // Qwen3-30B-A3B's config: BOS <|endoftext|>, generation ends at <|im_end|>.
        assertThat(config.get("bos_token_id").intValue()).isZero();
        assertThat(config.get("eos_token_id").intValue()).isEqualTo(2);
    }

    @Test
    void deepseekHasLatentAttentionSizesAndItsFirstLayerAnMoeLayer() {
        JsonNode config = written(Preset.DEEPSEEK_LIKE);

        assertThat(config.get("model_type").stringValue()).isEqualTo("deepseek_v2");
        assertThat(config.get("n_routed_experts").intValue()).isEqualTo(64);
        assertThat(config.get("n_shared_experts").intValue()).isEqualTo(2);
        assertThat(config.get("moe_intermediate_size").intValue()).isEqualTo(44);
        assertThat(config.get("first_k_dense_replace").intValue()).isZero();
        assertThat(config.get("num_experts_per_tok").intValue()).isEqualTo(6);
        assertThat(config.get("q_lora_rank").isNull()).isTrue();
        assertThat(List.of(config.get("kv_lora_rank").intValue(), config.get("qk_nope_head_dim").intValue(),
                config.get("qk_rope_head_dim").intValue(), config.get("v_head_dim").intValue()))
                .containsExactly(16, 16, 8, 16);
        assertThat(config.get("num_attention_heads").intValue()).isEqualTo(4);
    }

    @Test
    void recordsHowTheModelWasGeneratedAndItsPrecision() {
        JsonNode config = written(Preset.OLMOE_LIKE);

        assertThat(config.get("moe_stream").get("skew").doubleValue()).isEqualTo(Preset.OLMOE_LIKE.defaultSkew());
        assertThat(config.get("moe_stream").get("seed").longValue()).isEqualTo(ModelSpec.DEFAULT_SEED);
        ModelSpec full = ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.FULL);
        assertThat(ConfigFile.of(full, GeneratedTokenizer.of(full))).contains(Map.entry("torch_dtype", "bfloat16"),
                Map.entry("hidden_size", 4096), Map.entry("num_attention_heads", 32), Map.entry("num_key_value_heads", 8),
                Map.entry("num_hidden_layers", 2), Map.entry("vocab_size", 32000));
    }

    /** The ids config.json and generation_config.json give are those of the tokenizer.json beside them. */
    @ParameterizedTest
    @EnumSource(Preset.class)
    void specialTokenIdsAgreeWithTheTokenizer(Preset preset) {
        Path model = generated(preset);
        JsonNode config = read(model.resolve("config.json"));
        JsonNode generation = read(model.resolve("generation_config.json"));
        JsonNode tokenizer = read(model.resolve("tokenizer.json"));
        JsonNode tokenizerConfig = read(model.resolve("tokenizer_config.json"));

        SpecialTokens specials = preset.specialTokens();
        assertThat(idOf(tokenizer, specials.eos())).isEqualTo(config.get("eos_token_id").intValue())
                .isEqualTo(generation.get("eos_token_id").intValue());
        assertThat(tokenizerConfig.get("eos_token").stringValue()).isEqualTo(specials.eos());
        if (specials.bos() != null) {
            assertThat(idOf(tokenizer, specials.bos())).isEqualTo(config.get("bos_token_id").intValue())
                    .isEqualTo(generation.get("bos_token_id").intValue());
        } else {
            assertThat(generation.has("bos_token_id")).isFalse();
        }
        assertThat(tokenizer.get("model").get("vocab").size()).isEqualTo(config.get("vocab_size").intValue());
        JsonNode postProcessor = tokenizer.get("post_processor");
        if (specials.addsBos()) {
            assertThat(postProcessor.get("single").get(0).get("SpecialToken").get("id").stringValue())
                    .isEqualTo(specials.bos());
        } else {
            assertThat(postProcessor.isNull()).isTrue();
        }
    }

    private static int idOf(JsonNode tokenizer, String content) {
        for (JsonNode added : tokenizer.get("added_tokens")) {
            if (added.get("content").stringValue().equals(content)) {
                return added.get("id").intValue();
            }
        }
        throw new AssertionError(content + " is not an added token of tokenizer.json");
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> values = new ArrayList<>();
        array.forEach(node -> values.add(node.intValue()));
        return values;
    }
}
