package io.moestream.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.function.Consumer;

import static io.moestream.model.SafetensorsErrorsTest.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A config.json that describes no decoder this engine runs, or runs only wrongly, is refused with a
 * message naming the file and the key. Each case edits the Mixtral fixture's config in one place.
 */
class DecoderConfigErrorsTest {

    @TempDir
    Path dir;

    @Test
    void theUneditedFixtureIsAccepted() {
        DecoderConfig config = DecoderConfig.read(write(c -> { }));
        assertThat(config.numAttentionHeads()).isEqualTo(4);
        assertThat(config.numKeyValueHeads()).isEqualTo(2);
        assertThat(config.headDim()).isEqualTo(8);
    }

    @Test
    void aMissingConfigJson() {
        assertFails(() -> DecoderConfig.read(dir), config(), null, "is missing: a whole model needs its config.json");
    }

    @Test
    void anUnknownModelType() {
        assertFails(() -> DecoderConfig.read(write(c -> c.put("model_type", "llama"))), config(), null,
                "model_type 'llama' is not supported");
    }

    @Test
    void deepseekV2IsRefusedForItsLatentAttention() {
        TinyModel.writeJson(config(), TinyModel.of("deepseek_v2").config);
        assertFails(() -> DecoderConfig.read(dir), config(), null,
                "model_type 'deepseek_v2' uses multi-head latent attention, which the whole-model engine does not implement");
    }

    @Test
    void ropeScalingIsRefusedNamingItsValue() {
        assertFails(() -> DecoderConfig.read(write(c -> c.putObject("rope_scaling").put("type", "linear").put("factor", 2.0))),
                config(), null, "rope_scaling {\"type\":\"linear\",\"factor\":2.0} is not supported");
    }

    @Test
    void aNullRopeScalingIsPlainRope() {
        assertThat(DecoderConfig.read(write(c -> c.putNull("rope_scaling"))).ropeTheta()).isEqualTo(1e6);
    }

    @Test
    void anActivationOtherThanSilu() {
        assertFails(() -> DecoderConfig.read(write(c -> c.put("hidden_act", "gelu"))), config(), null,
                "hidden_act 'gelu' is not supported");
    }

    @Test
    void aSlidingWindowSwitchedOn() {
        assertFails(() -> DecoderConfig.read(write(c -> c.put("use_sliding_window", true))), config(), null,
                "use_sliding_window true is not supported");
    }

    @Test
    void noNumAttentionHeads() {
        assertFails(() -> DecoderConfig.read(write(c -> c.remove("num_attention_heads"))), config(), null,
                "has no num_attention_heads");
    }

    @Test
    void noMaxPositionEmbeddings() {
        assertFails(() -> DecoderConfig.read(write(c -> c.remove("max_position_embeddings"))), config(), null,
                "has no max_position_embeddings");
    }

    @Test
    void headsThatKeyValueHeadsDoNotDivide() {
        assertFails(() -> DecoderConfig.read(write(c -> c.put("num_key_value_heads", 3))), config(), null,
                "num_attention_heads (4) must be a positive multiple of num_key_value_heads (3)");
    }

    @Test
    void mixtralWithoutKeyValueHeadsTakesTransformersDefaultOfEight() {
        assertFails(() -> DecoderConfig.read(write(c -> c.remove("num_key_value_heads"))), config(), null,
                "num_attention_heads (4) must be a positive multiple of num_key_value_heads (8)");
    }

    @Test
    void anOddHeadDimension() {
        assertFails(() -> DecoderConfig.read(write(c -> c.put("head_dim", 7))), config(), null,
                "the head dimension must be even and >= 2 for the rotary embedding, got 7");
    }

    @Test
    void aHiddenSizeThatHeadsDoNotDivideWithoutHeadDim() {
        assertFails(() -> DecoderConfig.read(write(c -> {
            c.remove("head_dim");
            c.put("hidden_size", 30);
        })), config(), null, "hidden_size 30 is not divisible by num_attention_heads 4, and there is no head_dim");
    }

    @Test
    void aNegativeRopeTheta() {
        assertFails(() -> DecoderConfig.read(write(c -> c.put("rope_theta", -1.0))), config(), null,
                "rope_theta must be a positive number, got -1.0");
    }

    private Path write(Consumer<ObjectNode> edit) {
        FixtureCopy fixture = FixtureCopy.of("mixtral-f32");
        edit.accept(fixture.config());
        return fixture.write(dir);
    }

    private Path config() {
        return dir.resolve(ModelConfig.FILE);
    }
}
