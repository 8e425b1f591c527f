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
 * message naming the file and the key. Each case edits the Mixtral (or DeepSeek-V2) fixture's config in
 * one place.
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
    void deepseekV2ReadsItsLatentAttentionAndRoutedScaling() {
        DecoderConfig config = DecoderConfig.read(writeDeepseek(c -> { }));
        assertThat(config.latentAttention()).isEqualTo(new LatentAttentionConfig(0, 16, 8, 8, 12));
        assertThat(config.headDim()).as("the rotary part, as transformers sets head_dim").isEqualTo(8);
        assertThat(config.routedScalingFactor()).isEqualTo(2.5);
        assertThat(config.moe().denseLayers()).containsExactly(0);
        // Per head a decompressed key of 8 + 8 and a value of 12, 4 heads, F32.
        assertThat(config.kvCacheBytesPerTokenPerLayer()).isEqualTo(4L * (16 + 12) * Float.BYTES);
    }

    @Test
    void deepseekV2WithQueryCompression() {
        assertThat(DecoderConfig.read(writeDeepseek(c -> c.put("q_lora_rank", 24))).latentAttention().qLoraRank())
                .isEqualTo(24);
    }

    @Test
    void deepseekV2WithoutQLoraRankIsRefusedSinceItsDefaultIsTheFullModels() {
        assertFails(() -> DecoderConfig.read(writeDeepseek(c -> c.remove("q_lora_rank"))), config(), null,
                "has no q_lora_rank (null when queries are not compressed)");
    }

    @Test
    void deepseekV2GroupLimitedGreedyIsRefused() {
        assertFails(() -> DecoderConfig.read(writeDeepseek(c -> c.put("topk_method", "group_limited_greedy"))),
                config(), null, "topk_method 'group_limited_greedy' is not supported; only greedy");
    }

    @Test
    void deepseekV2SigmoidScoringIsRefused() {
        assertFails(() -> DecoderConfig.read(writeDeepseek(c -> c.put("scoring_func", "sigmoid"))), config(), null,
                "scoring_func 'sigmoid' is not supported; only softmax is");
    }

    @Test
    void deepseekV2NormTopkProbIsRefusedSinceItsImplementationsDisagree() {
        assertFails(() -> DecoderConfig.read(writeDeepseek(c -> c.put("norm_topk_prob", true))), config(), null,
                "norm_topk_prob true is not supported for deepseek_v2");
    }

    @Test
    void deepseekV2WithFewerKeyValueHeads() {
        assertFails(() -> DecoderConfig.read(writeDeepseek(c -> c.put("num_key_value_heads", 2))), config(), null,
                "num_key_value_heads (2) must equal num_attention_heads (4)");
    }

    @Test
    void deepseekV2AnOddRopeHeadDimension() {
        assertFails(() -> DecoderConfig.read(writeDeepseek(c -> c.put("qk_rope_head_dim", 7))), config(), null,
                "qk_rope_head_dim must be even and >= 2 for the rotary embedding, got 7");
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
        return write("mixtral-f32", edit);
    }

    private Path writeDeepseek(Consumer<ObjectNode> edit) {
        return write("deepseek-v2-bf16", edit);
    }

    private Path write(String fixtureName, Consumer<ObjectNode> edit) {
        FixtureCopy fixture = FixtureCopy.of(fixtureName);
        edit.accept(fixture.config());
        return fixture.write(dir);
    }

    private Path config() {
        return dir.resolve(ModelConfig.FILE);
    }
}
