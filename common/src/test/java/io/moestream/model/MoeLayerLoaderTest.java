package io.moestream.model;

import io.moestream.expert.ExpertWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static io.moestream.model.SafetensorsErrorsTest.assertFails;
import static io.moestream.model.TinyModel.EXPERTS;
import static io.moestream.model.TinyModel.FFN;
import static io.moestream.model.TinyModel.HIDDEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MoeLayerLoaderTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v2"})
    void loadsTheRouterAndOnlyTheRequestedExperts(String modelType) {
        TinyModel model = TinyModel.of(modelType);
        model.writeSingle(dir);
        ModelConfig config = model.modelConfig(dir);

        MoeLayerWeights layer;
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            layer = MoeLayerLoader.load(checkpoint, config, 1, Set.of(3, 1));
        }

        NamingFamily names = config.family();
        assertThat(layer.layer()).isEqualTo(1);
        assertThat(layer.hidden()).isEqualTo(HIDDEN);
        assertThat(layer.numExperts()).isEqualTo(EXPERTS);
        assertThat(layer.topK()).isEqualTo(TinyModel.TOP_K);
        assertThat(layer.normTopkProb()).isEqualTo(modelType.equals("mixtral") || modelType.equals("qwen3_moe"));
        assertThat(layer.gate()).containsExactly(model.data(names.gate(1)));
        assertThat(layer.experts()).containsOnlyKeys(1, 3);
        for (int id : new int[] {1, 3}) {
            ExpertWeights expert = layer.experts().get(id);
            assertThat(expert.ffn()).isEqualTo(FFN);
            assertThat(expert.w1()).containsExactly(model.data(names.expert(1, id, Projection.W1)));
            assertThat(expert.w3()).containsExactly(model.data(names.expert(1, id, Projection.W3)));
            assertThat(expert.w2()).containsExactly(model.data(names.expert(1, id, Projection.W2)));
        }
    }

    @Test
    void mixtralUsesTheBlockSparseMoeNames() {
        TinyModel model = TinyModel.of("mixtral");
        assertThat(model.tensors).containsKeys(
                "model.layers.1.block_sparse_moe.gate.weight",
                "model.layers.1.block_sparse_moe.experts.3.w1.weight",
                "model.layers.1.block_sparse_moe.experts.3.w3.weight",
                "model.layers.1.block_sparse_moe.experts.3.w2.weight");
        MoeLayerWeights layer = load(model, 1, null);
        assertThat(layer.experts()).containsOnlyKeys(0, 1, 2, 3);
        assertThat(layer.sharedExperts()).isEmpty();
        assertThat(layer.sharedExpertGate()).isEmpty();
    }

    @Test
    void qwen2MoeHasASharedExpertAndItsGate() {
        TinyModel model = TinyModel.of("qwen2_moe");
        assertThat(model.tensors).containsKeys(
                "model.layers.1.mlp.experts.3.gate_proj.weight",
                "model.layers.1.mlp.experts.3.up_proj.weight",
                "model.layers.1.mlp.experts.3.down_proj.weight",
                "model.layers.1.mlp.shared_expert.gate_proj.weight",
                "model.layers.1.mlp.shared_expert_gate.weight");
        MoeLayerWeights layer = load(model, 1, Set.of(0));

        assertThat(layer.sharedExperts()).hasSize(1);
        ExpertWeights shared = layer.sharedExperts().get(0);
        assertThat(shared.ffn()).isEqualTo(TinyModel.QWEN2_SHARED_FFN);
        assertThat(shared.w1()).containsExactly(model.data("model.layers.1.mlp.shared_expert.gate_proj.weight"));
        assertThat(shared.w3()).containsExactly(model.data("model.layers.1.mlp.shared_expert.up_proj.weight"));
        assertThat(shared.w2()).containsExactly(model.data("model.layers.1.mlp.shared_expert.down_proj.weight"));
        assertThat(layer.sharedExpertGate()).hasValueSatisfying(gate ->
                assertThat(gate).containsExactly(model.data("model.layers.1.mlp.shared_expert_gate.weight")));
    }

    @Test
    void deepseekV2HasUngatedFusedSharedExperts() {
        TinyModel model = TinyModel.of("deepseek_v2");
        MoeLayerWeights layer = load(model, 1, Set.of(2));

        assertThat(layer.sharedExperts()).hasSize(1);
        ExpertWeights shared = layer.sharedExperts().get(0);
        assertThat(shared.ffn()).isEqualTo(TinyModel.DEEPSEEK_SHARED_EXPERTS * FFN);
        assertThat(shared.w2()).containsExactly(model.data("model.layers.1.mlp.shared_experts.down_proj.weight"));
        assertThat(layer.sharedExpertGate()).isEmpty();
    }

    @Test
    void deepseekV2DenseLayersAreNotMoe() {
        TinyModel model = TinyModel.of("deepseek_v2");
        assertFails(() -> load(model, 0, null), dir, "model.layers.0.mlp.gate.weight",
                "layer 0 is a dense layer of this model, not an MoE layer (dense layers: [0])");
    }

    @Test
    void aLayerBeyondTheModel() {
        TinyModel model = TinyModel.of("olmoe");
        assertFails(() -> load(model, 2, null), dir, "model.layers.2.mlp.gate.weight",
                "layer 2 does not exist (num_hidden_layers=2)");
    }

    @Test
    void aWrongShapeInTheFileNamesTheTensor() {
        TinyModel model = TinyModel.of("mixtral");
        String w2 = "model.layers.1.block_sparse_moe.experts.2.w2.weight";
        // Stored transposed, as a converter that forgot torch's [out][in] layout would.
        model.add(w2, FFN, HIDDEN);
        assertFails(() -> load(model, 1, Set.of(2)), dir.resolve(Checkpoint.SINGLE_FILE), w2,
                "shape [5, 6] does not match the expected [6, 5]");
    }

    @Test
    void aConfigThatDisagreesWithTheFile() {
        TinyModel model = TinyModel.of("qwen3_moe");
        model.config.put("num_experts", 8);
        assertFails(() -> load(model, 1, Set.of(0)), dir.resolve(Checkpoint.SINGLE_FILE), "model.layers.1.mlp.gate.weight",
                "shape [4, 6] does not match the expected [8, 6]");
    }

    @Test
    void aMissingExpertNamesTheTensor() {
        TinyModel model = TinyModel.of("olmoe");
        model.tensors.remove("model.layers.1.mlp.experts.2.up_proj.weight");
        assertFails(() -> load(model, 1, Set.of(2)), dir.resolve(Checkpoint.SINGLE_FILE),
                "model.layers.1.mlp.experts.2.up_proj.weight", "no such tensor");
        assertThat(load(model, 1, Set.of(0, 1, 3)).experts()).containsOnlyKeys(0, 1, 3);
    }

    @Test
    void anUndeclaredSharedExpertIsNotIgnored() {
        TinyModel model = TinyModel.of("qwen2_moe");
        model.writeSingle(dir);
        ModelConfig withoutShared = model.modelConfig(dir).toBuilder().sharedExpert(SharedExpertKind.NONE, 0).build();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertFails(() -> MoeLayerLoader.load(checkpoint, withoutShared, 1), dir,
                    "model.layers.1.mlp.shared_expert.gate_proj.weight", "declares none");
        }
    }

    @Test
    void anExpertOutsideTheLayer() {
        TinyModel model = TinyModel.of("mixtral");
        assertThatThrownBy(() -> load(model, 1, Set.of(1, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expert 4 is outside 0..3");
    }

    @Test
    void aHostReadsOnlyTheShardsOfItsExperts() throws IOException {
        TinyModel model = TinyModel.of("qwen3_moe");
        model.writeSharded(dir, name -> name.matches("model\\.layers\\.1\\.mlp\\.experts\\.[23]\\..*"));
        Files.delete(dir.resolve(TinyModel.shardName(2)));
        ModelConfig config = model.modelConfig(dir);

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThat(MoeLayerLoader.load(checkpoint, config, 1, Set.of(0, 1)).experts()).containsOnlyKeys(0, 1);
            assertFails(() -> MoeLayerLoader.load(checkpoint, config, 1, Set.of(2)),
                    dir.resolve(TinyModel.shardName(2)), null, "cannot open");
        }
    }

    @Test
    void withoutConfigJsonTheFamilyComesFromTheTensorNames() {
        TinyModel model = TinyModel.of("qwen3_moe");
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), model.tensors, DType.F32);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            ModelConfig config = ModelConfig.builder(NamingFamily.detect(checkpoint))
                    .hiddenSize(HIDDEN).numExperts(EXPERTS).topK(2).expertFfnSize(FFN).build();
            assertThat(config.family()).isEqualTo(NamingFamily.MLP);
            assertThat(MoeLayerLoader.load(checkpoint, config, 0, Set.of(1)).experts()).containsOnlyKeys(1);
        }
    }

    @Test
    void detectingTheFamily() {
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), TinyModel.of("mixtral").tensors, DType.F32);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThat(NamingFamily.detect(checkpoint)).isEqualTo(NamingFamily.MIXTRAL);
        }
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE),
                Map.of(NamingFamily.EMBED_TOKENS, Tensor.of(new float[1], 1, 1)), DType.F32);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertFails(() -> NamingFamily.detect(checkpoint), dir, null, "cannot tell its naming family");
        }
    }

    /** Writes {@code model} into the test directory and loads one layer through its config.json. */
    private MoeLayerWeights load(TinyModel model, int layer, Set<Integer> experts) {
        model.writeSingle(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            return MoeLayerLoader.load(checkpoint, model.modelConfig(dir), layer, experts);
        }
    }
}
