package io.moestream.cli;

import io.moestream.expert.JavaExpertKernel;
import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.layer.MoeLayers;
import io.moestream.model.Checkpoint;
import io.moestream.model.DType;
import io.moestream.model.ModelConfig;
import io.moestream.model.MoeLayerLoader;
import io.moestream.model.MoeLayerWeights;
import io.moestream.model.NamingFamily;
import io.moestream.model.SafetensorsFile;
import io.moestream.model.SafetensorsWriter;
import io.moestream.model.Tensor;
import io.moestream.routing.Options.Weights;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import io.moestream.text.PromptEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code moe forward} against the in-process layer built directly from the same checkpoint: the
 * command must add nothing and lose nothing between its options and {@code MoeLayer.forward}.
 */
class ForwardCommandTest {

    static final int TOKENS = 40;

    @TempDir
    static Path dir;

    static Path model;
    static Path hidden;
    static MoeLayerWeights weights;
    static float[] x;

    @BeforeAll
    static void generateModelAndInput() throws Exception {
        model = dir.resolve("qwen-tiny");
        // Qwen-like: 60 experts, top-4 and a gated shared expert, so every part of the layer runs.
        ModelGenerator.generate(ModelSpec.of(Preset.QWEN_MOE_LIKE, Scale.TINY).withVocabSize(512), model);
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            weights = MoeLayerLoader.load(checkpoint, ModelConfig.read(model).orElseThrow(), 0);
        }
        SplittableRandom random = new SplittableRandom(5);
        x = new float[TOKENS * weights.hidden()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        hidden = dir.resolve("x.safetensors");
        SafetensorsWriter.write(hidden, Map.of("hidden", Tensor.of(x, TOKENS, weights.hidden())), DType.F32);
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void outputEqualsTheInProcessLayerUnderEveryPolicy(Policy policy) throws Exception {
        Path output = dir.resolve("y-" + SpecName.of(policy) + ".safetensors");
        Moe moe = Moe.run("forward", "--model", model.toString(), "--input", hidden.toString(), "--output",
                output.toString(), "--policy", SpecName.of(policy), "--capacity-factor", "1.0", "--ranks", "4",
                "--source-rank", "2", "--backend", "java");
        assertThat(moe.exitCode()).as(moe.err()).isZero();

        // Qwen's config has norm_topk_prob false: the model's default weights are raw, its top-k 4.
        RoutingConfig expectedRouting = RoutingConfig.builder(policy, 4).capacityFactor(1.0).weights(Weights.RAW)
                .build();
        float[] expected = MoeLayers.build(weights, expectedRouting, Placement.contiguous(60, 4),
                new JavaExpertKernel(weights.experts()), new JavaExpertKernel(weights.sharedExpertsById()))
                .forward(x, TOKENS, 2).output();
        try (SafetensorsFile file = SafetensorsFile.open(output)) {
            assertThat(file.tensor("output", TOKENS, weights.hidden()).data()).containsExactly(expected);
        }
        assertThat(moe.out()).contains("drop rate").contains("policy " + SpecName.of(policy));
    }

    @Test
    void compareDroplessReportsFidelity() {
        Moe moe = Moe.run("forward", "--model", model.toString(), "--input", hidden.toString(), "--policy",
                "token-drop", "--capacity-factor", "0.5", "--backend", "java", "--compare", "dropless");
        assertThat(moe.exitCode()).as(moe.err()).isZero();
        assertThat(moe.out()).contains("relative L2 error").contains("cosine similarity").contains("gate mass kept");
    }

    @Test
    void promptsAreTokenizedAndEmbeddedWithTheCheckpointsTable() throws Exception {
        Path full = dir.resolve("mixtral-tiny");
        ModelGenerator.generate(ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY), full);
        Path output = dir.resolve("prompt-y.safetensors");
        String prompt = "Capacity-aware routing keeps the busiest expert in check.";
        Moe moe = Moe.run("forward", "--model", full.toString(), "--prompt", prompt, "--output", output.toString(),
                "--backend", "java");
        assertThat(moe.exitCode()).as(moe.err()).isZero();

        try (Checkpoint checkpoint = Checkpoint.open(full)) {
            MoeLayerWeights mixtral = MoeLayerLoader.load(checkpoint, ModelConfig.read(full).orElseThrow(), 0);
            float[] states;
            try (PromptEncoder encoder = PromptEncoder.forModel(full, checkpoint.tensor(NamingFamily.EMBED_TOKENS),
                    PromptEncoder.DEFAULT_MAX_TOKENS)) {
                states = encoder.encode(prompt);
            }
            int tokens = states.length / mixtral.hidden();
            float[] expected = MoeLayers.build(mixtral, MoeLayers.defaultRouting(mixtral), Placement.contiguous(8, 1),
                    new JavaExpertKernel(mixtral.experts()), new JavaExpertKernel(Map.of()))
                    .forward(states, tokens, 0).output();
            try (SafetensorsFile file = SafetensorsFile.open(output)) {
                assertThat(file.tensor("output", tokens, mixtral.hidden()).data()).containsExactly(expected);
            }
        }
    }

    @Test
    void badInputFailsWithOneLineThatSaysWhatWasWrong() throws Exception {
        Path wrongShape = dir.resolve("wrong.safetensors");
        SafetensorsWriter.write(wrongShape, Map.of("hidden", Tensor.of(new float[30], 10, 3)), DType.F32);
        Moe shape = Moe.run("forward", "--model", model.toString(), "--input", wrongShape.toString());
        assertThat(shape.exitCode()).isEqualTo(2);
        assertThat(shape.err()).contains("tensor 'hidden' has shape [10, 3], expected [T, " + weights.hidden() + "]");

        Path noConfig = Files.createDirectories(dir.resolve("no-config"));
        Files.copy(model.resolve("model.safetensors"), noConfig.resolve("model.safetensors"));
        Moe config = Moe.run("forward", "--model", noConfig.toString(), "--input", hidden.toString());
        assertThat(config.exitCode()).isEqualTo(2);
        assertThat(config.err()).contains("has no config.json");

        Moe backend = Moe.run("forward", "--model", model.toString(), "--input", hidden.toString(), "--backend", "tpu");
        assertThat(backend.exitCode()).isEqualTo(2);
        assertThat(backend.err()).contains("unknown backend 'tpu'").contains("auto, cpu, gpu, java");

        Moe empty = Moe.run("forward", "--model", model.toString(), "--prompt", "   ");
        assertThat(empty.exitCode()).isEqualTo(2);
        assertThat(empty.err()).contains("blank");
    }
}
