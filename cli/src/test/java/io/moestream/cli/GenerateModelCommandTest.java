package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.generate.Preset;
import io.moestream.model.ModelConfig;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateModelCommandTest {

    private static final Pattern BUSIEST = Pattern.compile("busiest expert / mean load: (\\d+\\.\\d+)");

    @TempDir
    Path dir;

    @Test
    void writesAWholeModelWithItsTokenizerAndPrintsLayerZerosSkew() {
        Path out = dir.resolve("qwen3");
        Moe moe = Moe.run("generate-model", "--preset", "qwen3-moe-like", "--layers", "2", "--out", out.toString());

        assertThat(moe.exitCode()).as(moe.err()).isZero();
        assertThat(moe.out()).contains(out.resolve("config.json").toString())
                .contains(out.resolve("tokenizer.json").toString())
                .contains(out.resolve("generation_config.json").toString())
                .contains(out.resolve("model.safetensors").toString())
                .contains("layer 0 of 2");
        assertThat(busiestOverMean(moe.out())).isBetween(Preset.QWEN3_MOE_LIKE.targetLow(),
                Preset.QWEN3_MOE_LIKE.targetHigh());
        ModelConfig config = ModelConfig.read(out).orElseThrow();
        assertThat(config.modelType()).isEqualTo("qwen3_moe");
        assertThat(config.numHiddenLayers()).isEqualTo(2);
        assertThat(config.denseLayers()).containsExactly(1);
    }

    @Test
    void measureOnlyWritesNothingAndUsesTheScalesDefaultLayers() {
        Moe moe = Moe.run("generate-model", "--preset", "mixtral-like", "--measure-only");

        assertThat(moe.exitCode()).as(moe.err()).isZero();
        assertThat(moe.out()).doesNotContain("config.json").contains("layer 0 of 4");
        assertThat(busiestOverMean(moe.out())).isBetween(Preset.MIXTRAL_LIKE.targetLow(), Preset.MIXTRAL_LIKE.targetHigh());
    }

    @Test
    void refusesAModelWithoutLayers() {
        Moe moe = Moe.run("generate-model", "--preset", "olmoe-like", "--layers", "0", "--out", dir.toString());

        assertThat(moe.exitCode()).isEqualTo(2);
        assertThat(moe.err()).contains("--layers must be at least 1, got 0");
        assertThat(dir.resolve("config.json")).doesNotExist();
    }

    @Test
    void helpStatesTheDefaultLayerCountsAndWhy() {
        Moe moe = Moe.run("generate-model", "--help");

        assertThat(moe.out().replaceAll("\\s+", " ")).contains("4 at tiny and small scale")
                .contains("2 at full scale, because a full layer is gigabytes").contains("qwen3-moe-like");
    }

    private static double busiestOverMean(String out) {
        Matcher matcher = BUSIEST.matcher(out);
        assertThat(matcher.find()).as(out).isTrue();
        return Double.parseDouble(matcher.group(1));
    }
}
