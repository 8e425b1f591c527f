package io.moestream.kernels;

import io.moestream.decoder.Chunk;
import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.decoder.JavaBackend;
import io.moestream.decoder.LogitRows;
import io.moestream.decoder.StepOutput;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenBLAS backend runs the same decoder as the Java reference backend: same logits within
 * f32 rounding, on the conformance checkpoints of common's tests (whose logits the Java backend
 * is checked against the Python reference for), under dropless and under a capacity policy.
 */
class OpenBlasDecoderTest {

    private static final Path FIXTURES = Path.of("../common/src/test/resources/conformance");

    @ParameterizedTest
    @ValueSource(strings = {"mixtral-f32", "olmoe-bf16", "qwen2-moe-f16-sharded", "qwen3-moe-f32", "deepseek-v2-bf16",
            "deepseek-v2-qlora-f32"})
    void openBlasLogitsEqualTheJavaBackend(String fixture) {
        DecoderBackends.Selected cpu = DecoderBackends.create(KernelBackend.CPU, 1);
        assertThat(cpu.status().active()).as(cpu.status().reason()).isEqualTo(KernelBackend.CPU);
        try (DecoderEngine blas = DecoderEngine.load(FIXTURES.resolve(fixture), cpu.backend());
             DecoderEngine java = DecoderEngine.load(FIXTURES.resolve(fixture), new JavaBackend())) {
            for (Policy policy : List.of(Policy.DROPLESS, Policy.TOKEN_DROP)) {
                float[] expected = run(java, policy);
                float[] actual = run(blas, policy);
                assertThat(actual).hasSameSizeAs(expected);
                double worst = 0;
                for (int i = 0; i < expected.length; i++) {
                    worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                }
                assertThat(worst).as("%s under %s: largest logit difference", fixture, policy).isLessThan(1e-4);
            }
        }
    }

    /** Three sequences in one step, so that a capacity policy drops some slots. */
    private static float[] run(DecoderEngine engine, Policy policy) {
        DecoderModel model = engine.model(engine.defaultRouting().toBuilder().policy(policy).capacityFactor(1.0).build(),
                Placement.contiguous(engine.config().moe().numExperts(), 2));
        List<Chunk> chunks = new ArrayList<>();
        int vocab = engine.config().vocabSize();
        for (int s = 0; s < 3; s++) {
            int[] tokens = new int[7 + s];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (31 * s + 17 * i + 3) % vocab;
            }
            chunks.add(new Chunk(model.newSequence(), tokens));
        }
        StepOutput out = model.step(chunks, 1, LogitRows.ALL);
        return out.logits();
    }
}
