package io.moestream.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.moestream.model.SafetensorsErrorsTest.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The MoE settings of the published config.json of one model per supported type (abridged). */
class ModelConfigTest {

    @TempDir
    Path dir;

    @Test
    void mixtral8x7b() {
        ModelConfig config = parse("""
                {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 4096,
                 "intermediate_size": 14336, "num_hidden_layers": 32, "num_local_experts": 8,
                 "num_experts_per_tok": 2, "vocab_size": 32000, "router_aux_loss_coef": 0.02}""");
        assertThat(config).isEqualTo(ModelConfig.builder(NamingFamily.MIXTRAL).modelType("mixtral")
                .hiddenSize(4096).numExperts(8).topK(2).expertFfnSize(14336).normTopkProb(true)
                .numHiddenLayers(32).vocabSize(32000).build());
    }

    @Test
    void qwen15MoeA27bHasAGatedSharedExpert() {
        ModelConfig config = parse("""
                {"model_type": "qwen2_moe", "hidden_size": 2048, "intermediate_size": 5632,
                 "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632, "num_experts": 60,
                 "num_experts_per_tok": 4, "norm_topk_prob": false, "decoder_sparse_step": 1,
                 "num_hidden_layers": 24, "vocab_size": 151936}""");
        assertThat(config.family()).isEqualTo(NamingFamily.MLP);
        assertThat(config.numExperts()).isEqualTo(60);
        assertThat(config.topK()).isEqualTo(4);
        assertThat(config.expertFfnSize()).isEqualTo(1408);
        assertThat(config.normTopkProb()).isFalse();
        assertThat(config.sharedExpert()).isEqualTo(SharedExpertKind.QWEN2_MOE);
        assertThat(config.sharedExpertFfnSize()).isEqualTo(5632);
        assertThat(config.denseLayers()).isEmpty();
    }

    @Test
    void qwen3Moe30bA3b() {
        ModelConfig config = parse("""
                {"model_type": "qwen3_moe", "hidden_size": 2048, "intermediate_size": 6144,
                 "moe_intermediate_size": 768, "num_experts": 128, "num_experts_per_tok": 8,
                 "norm_topk_prob": true, "decoder_sparse_step": 1, "mlp_only_layers": [],
                 "num_hidden_layers": 48, "vocab_size": 151936}""");
        assertThat(config).isEqualTo(ModelConfig.builder(NamingFamily.MLP).modelType("qwen3_moe")
                .hiddenSize(2048).numExperts(128).topK(8).expertFfnSize(768).normTopkProb(true)
                .numHiddenLayers(48).vocabSize(151936).build());
    }

    @Test
    void olmoe1b7bUsesIntermediateSizeForItsExperts() {
        ModelConfig config = parse("""
                {"model_type": "olmoe", "hidden_size": 2048, "intermediate_size": 1024, "num_experts": 64,
                 "num_experts_per_tok": 8, "norm_topk_prob": false, "num_hidden_layers": 16, "vocab_size": 50304}""");
        assertThat(config).isEqualTo(ModelConfig.builder(NamingFamily.MLP).modelType("olmoe")
                .hiddenSize(2048).numExperts(64).topK(8).expertFfnSize(1024)
                .numHiddenLayers(16).vocabSize(50304).build());
    }

    @Test
    void deepseekV2LiteHasFusedSharedExpertsAndADenseFirstLayer() {
        ModelConfig config = parse("""
                {"model_type": "deepseek_v2", "hidden_size": 2048, "intermediate_size": 10944,
                 "moe_intermediate_size": 1408, "n_routed_experts": 64, "n_shared_experts": 2,
                 "num_experts_per_tok": 6, "first_k_dense_replace": 1, "moe_layer_freq": 1,
                 "norm_topk_prob": false, "topk_method": "greedy", "routed_scaling_factor": 1.0,
                 "num_hidden_layers": 27, "vocab_size": 102400}""");
        assertThat(config.numExperts()).isEqualTo(64);
        assertThat(config.topK()).isEqualTo(6);
        assertThat(config.expertFfnSize()).isEqualTo(1408);
        assertThat(config.sharedExpert()).isEqualTo(SharedExpertKind.DEEPSEEK_V2);
        assertThat(config.sharedExpertFfnSize()).isEqualTo(2 * 1408);
        assertThat(config.denseLayers()).containsExactly(0);
        assertThat(config.isMoeLayer(0)).isFalse();
        assertThat(config.isMoeLayer(1)).isTrue();
        assertThat(config.isMoeLayer(26)).isTrue();
        assertThat(config.isMoeLayer(27)).isFalse();
    }

    @Test
    void deepseekV2WithoutSharedExpertsAndWithAMoeLayerFrequency() {
        ModelConfig config = parse("""
                {"model_type": "deepseek_v2", "hidden_size": 64, "moe_intermediate_size": 32, "n_routed_experts": 8,
                 "n_shared_experts": null, "num_experts_per_tok": 2, "first_k_dense_replace": 2,
                 "moe_layer_freq": 2, "num_hidden_layers": 8, "vocab_size": 100}""");
        assertThat(config.sharedExpert()).isEqualTo(SharedExpertKind.NONE);
        assertThat(config.sharedExpertFfnSize()).isZero();
        assertThat(moeLayers(config)).containsExactly(2, 4, 6);
    }

    @Test
    void qwenSparseStepAndMlpOnlyLayers() {
        ModelConfig config = parse("""
                {"model_type": "qwen3_moe", "hidden_size": 64, "moe_intermediate_size": 32, "num_experts": 8,
                 "num_experts_per_tok": 2, "decoder_sparse_step": 2, "mlp_only_layers": [3],
                 "num_hidden_layers": 8, "vocab_size": 100}""");
        // MoE where (layer + 1) % 2 == 0, except layer 3.
        assertThat(moeLayers(config)).containsExactly(1, 5, 7);
    }

    @Test
    void aMissingKeyIsNamed() {
        Path file = write("""
                {"model_type": "qwen2_moe", "hidden_size": 2048, "moe_intermediate_size": 1408, "num_experts": 60,
                 "num_experts_per_tok": 4, "num_hidden_layers": 24, "vocab_size": 151936}""");
        assertFails(() -> ModelConfig.fromJson(file), file, null, "has no shared_expert_intermediate_size");
    }

    @Test
    void anUnsupportedModelType() {
        Path file = write("{\"model_type\": \"llama\", \"hidden_size\": 4096}");
        assertFails(() -> ModelConfig.fromJson(file), file, null, "model_type 'llama' is not supported");
    }

    @Test
    void aWrongValueType() {
        Path file = write("""
                {"model_type": "mixtral", "hidden_size": "4096", "intermediate_size": 14336, "num_hidden_layers": 32,
                 "num_local_experts": 8, "num_experts_per_tok": 2, "vocab_size": 32000}""");
        assertFails(() -> ModelConfig.fromJson(file), file, null, "hidden_size must be a non-negative integer, got \"4096\"");
    }

    @Test
    void anInconsistentConfigIsReportedWithItsFile() {
        Path file = write("""
                {"model_type": "mixtral", "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 2,
                 "num_local_experts": 2, "num_experts_per_tok": 3, "vocab_size": 10}""");
        assertFails(() -> ModelConfig.fromJson(file), file, null, "top-k must be in 1..2, got 3");
    }

    @Test
    void noConfigJsonMeansOptions() {
        assertThat(ModelConfig.read(dir)).isEmpty();
        ModelConfig options = ModelConfig.builder(NamingFamily.MLP)
                .hiddenSize(16).numExperts(4).topK(2).expertFfnSize(8)
                .sharedExpert(SharedExpertKind.DEEPSEEK_V2, 16).denseLayers(Set.of(0))
                .build();
        assertThat(options.modelType()).isNull();
        assertThat(options.isMoeLayer(0)).isFalse();
        assertThat(options.isMoeLayer(1000)).as("any layer while the layer count is unknown").isTrue();
    }

    @Test
    void overridesOnTopOfConfigJson() {
        ModelConfig config = parse("""
                {"model_type": "olmoe", "hidden_size": 2048, "intermediate_size": 1024, "num_experts": 64,
                 "num_experts_per_tok": 8, "num_hidden_layers": 16, "vocab_size": 50304}""");
        ModelConfig topTwo = config.toBuilder().topK(2).normTopkProb(true).build();
        assertThat(topTwo.topK()).isEqualTo(2);
        assertThat(topTwo.normTopkProb()).isTrue();
        assertThat(topTwo.toBuilder().topK(8).normTopkProb(false).build()).isEqualTo(config);
    }

    @Test
    void optionsAreChecked() {
        assertThatThrownBy(() -> ModelConfig.builder(NamingFamily.MLP).hiddenSize(16).numExperts(4).topK(2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ffn=0");
        assertThatThrownBy(() -> ModelConfig.builder(NamingFamily.MIXTRAL).hiddenSize(16).numExperts(4).topK(2)
                .expertFfnSize(8).sharedExpert(SharedExpertKind.QWEN2_MOE, 8).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no shared expert");
        assertThatThrownBy(() -> ModelConfig.builder(NamingFamily.MLP).hiddenSize(16).numExperts(4).topK(2)
                .expertFfnSize(8).sharedExpert(SharedExpertKind.QWEN2_MOE, 0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive FFN size");
    }

    @Test
    void familiesByModelType() {
        assertThat(NamingFamily.forModelType("mixtral")).contains(NamingFamily.MIXTRAL);
        for (String type : new String[] {"qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v2"}) {
            assertThat(NamingFamily.forModelType(type)).as(type).contains(NamingFamily.MLP);
        }
        assertThat(NamingFamily.forModelType("deepseek_v3")).isEmpty();
    }

    private static Set<Integer> moeLayers(ModelConfig config) {
        return IntStream.range(0, config.numHiddenLayers()).filter(config::isMoeLayer).boxed()
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private ModelConfig parse(String json) {
        write(json);
        return ModelConfig.read(dir).orElseThrow();
    }

    private Path write(String json) {
        try {
            return Files.writeString(dir.resolve(ModelConfig.FILE), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
