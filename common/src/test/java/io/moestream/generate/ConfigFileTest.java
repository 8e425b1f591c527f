package io.moestream.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ConfigFileTest {

    @TempDir
    Path dir;

    private JsonNode written(Preset preset) {
        ModelGenerator.generate(ModelSpec.of(preset, Scale.TINY).withVocabSize(64), dir.resolve(preset.label()));
        return JsonMapper.builder().build().readTree(dir.resolve(preset.label()).resolve("config.json").toFile());
    }

    @Test
    void mixtralHasItsOwnExpertKeysAndNoNormTopkProb() {
        JsonNode config = written(Preset.MIXTRAL_LIKE);

        assertThat(config.get("architectures").get(0).stringValue()).isEqualTo("MixtralForCausalLM");
        assertThat(config.get("num_local_experts").intValue()).isEqualTo(8);
        assertThat(config.get("intermediate_size").intValue()).isEqualTo(448);
        assertThat(config.get("num_experts_per_tok").intValue()).isEqualTo(2);
        assertThat(config.has("norm_topk_prob")).isFalse();
        assertThat(config.get("sliding_window").isNull()).isTrue();
    }

    @Test
    void olmoeNamesItsExpertsNumExperts() {
        JsonNode config = written(Preset.OLMOE_LIKE);

        assertThat(config.get("model_type").stringValue()).isEqualTo("olmoe");
        assertThat(config.get("num_experts").intValue()).isEqualTo(64);
        assertThat(config.get("num_experts_per_tok").intValue()).isEqualTo(8);
        assertThat(config.get("intermediate_size").intValue()).isEqualTo(32);
        assertThat(config.get("norm_topk_prob").booleanValue()).isFalse();
    }

    @Test
    void qwenHasMoeAndSharedExpertSizes() {
        JsonNode config = written(Preset.QWEN_MOE_LIKE);

        assertThat(config.get("model_type").stringValue()).isEqualTo("qwen2_moe");
        assertThat(config.get("num_experts").intValue()).isEqualTo(60);
        assertThat(config.get("moe_intermediate_size").intValue()).isEqualTo(44);
        assertThat(config.get("shared_expert_intermediate_size").intValue()).isEqualTo(176);
        assertThat(config.get("decoder_sparse_step").intValue()).isEqualTo(1);
    }

    @Test
    void deepseekMakesItsOnlyLayerAnMoeLayer() {
        JsonNode config = written(Preset.DEEPSEEK_LIKE);

        assertThat(config.get("model_type").stringValue()).isEqualTo("deepseek_v2");
        assertThat(config.get("n_routed_experts").intValue()).isEqualTo(64);
        assertThat(config.get("n_shared_experts").intValue()).isEqualTo(2);
        assertThat(config.get("moe_intermediate_size").intValue()).isEqualTo(44);
        assertThat(config.get("first_k_dense_replace").intValue()).isZero();
        assertThat(config.get("num_experts_per_tok").intValue()).isEqualTo(6);
    }

    @Test
    void recordsHowTheModelWasGeneratedAndItsPrecision() {
        JsonNode config = written(Preset.OLMOE_LIKE);

        assertThat(config.get("moe_stream").get("skew").doubleValue()).isEqualTo(Preset.OLMOE_LIKE.defaultSkew());
        assertThat(config.get("moe_stream").get("seed").longValue()).isEqualTo(ModelSpec.DEFAULT_SEED);
        assertThat(config.get("torch_dtype").stringValue()).isEqualTo("float32");
        assertThat(config.get("num_hidden_layers").intValue()).isEqualTo(1);
        assertThat(config.get("vocab_size").intValue()).isEqualTo(64);
        assertThat(ConfigFile.of(ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.FULL)))
                .contains(Map.entry("torch_dtype", "bfloat16"), Map.entry("hidden_size", 4096));
    }
}
