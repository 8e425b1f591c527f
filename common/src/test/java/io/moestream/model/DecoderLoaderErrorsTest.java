package io.moestream.model;

import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.JavaBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static io.moestream.model.SafetensorsErrorsTest.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Weights that do not fit config.json, or that are not finite where the model uses them, fail the
 * load naming the file and the tensor. Each case edits one setting or one tensor of a fixture.
 */
class DecoderLoaderErrorsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
            "mixtral-f32, lm_head.weight",
            "mixtral-f32, model.layers.2.block_sparse_moe.experts.3.w2.weight",
            "mixtral-f32, model.layers.1.post_attention_layernorm.weight",
            "qwen2-moe-f16-sharded, model.layers.0.self_attn.v_proj.bias",
            "qwen2-moe-f16-sharded, model.layers.1.mlp.down_proj.weight",
            "olmoe-bf16, model.layers.1.self_attn.q_norm.weight",
            "qwen3-moe-f32, model.layers.2.self_attn.k_norm.weight",
            "deepseek-v2-bf16, model.layers.1.self_attn.kv_b_proj.weight",
            "deepseek-v2-bf16, model.layers.2.mlp.shared_experts.down_proj.weight",
            "deepseek-v2-bf16, model.layers.0.mlp.up_proj.weight",
            "deepseek-v2-qlora-f32, model.layers.1.self_attn.q_a_layernorm.weight"})
    void aMissingTensor(String fixture, String tensor) {
        FixtureCopy copy = FixtureCopy.of(fixture);
        assertThat(copy.tensors().remove(tensor)).as("the fixture holds %s", tensor).isNotNull();
        copy.write(dir);
        assertFails(this::load, dir.resolve(Checkpoint.SINGLE_FILE), tensor, "no such tensor in the checkpoint");
    }

    @Test
    void aTensorOfTheWrongShape() {
        FixtureCopy copy = FixtureCopy.of("mixtral-f32");
        String name = "model.layers.1.self_attn.k_proj.weight";
        copy.tensors().put(name, Tensor.of(copy.data(name), 32, 16));
        copy.write(dir);
        assertFails(this::load, dir.resolve(Checkpoint.SINGLE_FILE), name,
                "shape [32, 16] does not match the expected [16, 32]");
    }

    @Test
    void aLatentRankTheWeightsDoNotHave() {
        FixtureCopy copy = FixtureCopy.of("deepseek-v2-bf16");
        copy.config().put("kv_lora_rank", 12);
        copy.write(dir);
        assertFails(this::load, dir.resolve(Checkpoint.SINGLE_FILE), "model.layers.0.self_attn.kv_a_proj_with_mqa.weight",
                "shape [24, 32] does not match the expected [20, 32]");
    }

    @Test
    void aHiddenSizeTheWeightsDoNotHave() {
        FixtureCopy copy = FixtureCopy.of("mixtral-f32");
        copy.config().put("hidden_size", 48);
        copy.write(dir);
        assertFails(this::load, dir.resolve(Checkpoint.SINGLE_FILE), "model.embed_tokens.weight",
                "shape [128, 32] does not match the expected [128, 48]");
    }

    @Test
    void aVocabularyTheWeightsDoNotHave() {
        FixtureCopy copy = FixtureCopy.of("mixtral-f32");
        copy.config().put("vocab_size", 100);
        copy.write(dir);
        assertFails(this::load, dir.resolve(Checkpoint.SINGLE_FILE), "model.embed_tokens.weight",
                "shape [128, 32] does not match the expected [100, 32]");
    }

    @Test
    void keyValueHeadsTheWeightsDoNotHave() {
        FixtureCopy copy = FixtureCopy.of("mixtral-f32");
        copy.config().put("num_key_value_heads", 4);
        copy.write(dir);
        assertFails(this::load, dir.resolve(Checkpoint.SINGLE_FILE), "model.layers.0.self_attn.k_proj.weight",
                "shape [16, 32] does not match the expected [32, 32]");
    }

    @Test
    void moreLayersThanTheCheckpointHolds() {
        FixtureCopy copy = FixtureCopy.of("mixtral-f32");
        copy.config().put("num_hidden_layers", 4);
        copy.write(dir);
        assertFails(this::load, dir.resolve(Checkpoint.SINGLE_FILE), "model.layers.3.input_layernorm.weight",
                "no such tensor in the checkpoint");
    }

    @ParameterizedTest
    @CsvSource({
            "mixtral-f32, model.embed_tokens.weight, 0, NaN",
            "mixtral-f32, model.layers.1.self_attn.k_proj.weight, 7, NaN",
            "mixtral-f32, model.layers.0.block_sparse_moe.gate.weight, 5, Infinity",
            "mixtral-f32, model.layers.2.block_sparse_moe.experts.1.w3.weight, 100, -Infinity",
            "mixtral-f32, model.norm.weight, 31, NaN",
            "mixtral-f32, lm_head.weight, 4095, Infinity",
            "qwen2-moe-f16-sharded, model.layers.2.self_attn.q_proj.bias, 3, NaN",
            "qwen2-moe-f16-sharded, model.layers.0.mlp.shared_expert.up_proj.weight, 9, NaN",
            "qwen2-moe-f16-sharded, model.layers.2.mlp.shared_expert_gate.weight, 0, -Infinity",
            "qwen2-moe-f16-sharded, model.layers.1.mlp.gate_proj.weight, 2, NaN",
            "olmoe-bf16, model.layers.0.self_attn.q_norm.weight, 17, NaN",
            "qwen3-moe-f32, model.layers.1.self_attn.k_norm.weight, 15, Infinity"})
    void aNonFiniteValueInAUsedWeightIsNamedWithItsIndex(String fixture, String tensor, int index, float value) {
        FixtureCopy copy = FixtureCopy.of(fixture);
        copy.data(tensor)[index] = value;
        copy.write(dir);
        assertFails(this::load, dir, tensor, "value " + index + " is " + value + "; weights must be finite");
    }

    /** With tied embeddings the output head is the embedding table; a stored lm_head is never read. */
    @Test
    void aNonFiniteValueInAnUnusedTensorIsNoError() {
        FixtureCopy copy = FixtureCopy.of("mixtral-f32");
        copy.config().put("tie_word_embeddings", true);
        copy.data("lm_head.weight")[0] = Float.NaN;
        copy.write(dir);
        float[][] embedAndHead = load();
        assertThat(embedAndHead[1]).isSameAs(embedAndHead[0]);
    }

    /** The engine loads a layer at a time, through the same checks. */
    @Test
    void theEngineRefusesTheSameCheckpoints() {
        FixtureCopy copy = FixtureCopy.of("mixtral-f32");
        String expert = "model.layers.1.block_sparse_moe.experts.0.w1.weight";
        copy.data(expert)[12] = Float.NaN;
        copy.write(dir);
        assertFails(() -> DecoderEngine.load(dir, new JavaBackend()), dir, expert, "value 12 is NaN; weights must be finite");
        copy.data(expert)[12] = 0;
        copy.tensors().remove("lm_head.weight");
        copy.write(dir);
        assertFails(() -> DecoderEngine.load(dir, new JavaBackend()), dir.resolve(Checkpoint.SINGLE_FILE), "lm_head.weight",
                "no such tensor in the checkpoint");
    }

    /** Reads every weight, as the engine does a layer at a time; returns the embedding table and the output head. */
    private float[][] load() {
        DecoderConfig config = DecoderConfig.read(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            DecoderLoader loader = new DecoderLoader(checkpoint, config);
            float[] embed = loader.embedTokens();
            for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
                loader.layer(layer);
            }
            loader.finalNorm();
            return new float[][] {embed, loader.lmHead(embed)};
        }
    }
}
