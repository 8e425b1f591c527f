package io.moestream.decoder;

import io.moestream.routing.Placement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The engine against the independent Python reference of each family ({@code conformance/}): the
 * logits of every prompt position, and greedy continuations, which the reference computes by
 * recomputing the whole sequence every step, so they check the KV cache too. Routing is the
 * model's own (dropless), as in transformers.
 */
class DecoderConformanceTest {

    static Stream<ConformanceCase> cases() {
        return ConformanceCase.all();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void logitsOfEachPromptMatchTheReference(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = dropless(engine);
            for (int p = 0; p < fixture.prompts().size(); p++) {
                int[] prompt = fixture.prompts().get(p);
                StepOutput out = model.step(List.of(new Chunk(model.newSequence(), prompt)), 0, LogitRows.ALL);
                assertRowsMatch(fixture, out, p, 0, prompt.length);
            }
        }
    }

    /** Dropless routing treats tokens independently, so packing the prompts into one step must change nothing. */
    @ParameterizedTest
    @MethodSource("cases")
    void promptsPackedIntoOneStepGiveTheSameLogits(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = dropless(engine);
            List<Chunk> chunks = new ArrayList<>();
            fixture.prompts().forEach(prompt -> chunks.add(new Chunk(model.newSequence(), prompt)));
            StepOutput out = model.step(chunks, 0, LogitRows.ALL);
            int row = 0;
            for (int p = 0; p < fixture.prompts().size(); p++) {
                assertRowsMatch(fixture, out, p, row, fixture.prompts().get(p).length);
                row += fixture.prompts().get(p).length;
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void greedyContinuationsMatchTheReference(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            int newTokens = fixture.greedy().get(0).length;
            Generator generator = new Generator(dropless(engine), Sampling.GREEDY, newTokens, Set.of(), 0);
            Generator.Run run = generator.generate(fixture.prompts(), (s, t) -> { }, r -> { });
            for (int p = 0; p < fixture.prompts().size(); p++) {
                Generation generation = run.generations().get(p);
                assertThat(generation.tokens()).as("greedy tokens of prompt %d", p).containsExactly(fixture.greedy().get(p));
                for (int i = 0; i < newTokens; i++) {
                    assertThat(generation.logprobs()[i]).as("log-probability of generated token %d of prompt %d", i, p)
                            .isCloseTo(fixture.greedyLogprobs().get(p)[i], within(fixture.tolerance()));
                }
            }
        }
    }

    private static DecoderModel dropless(DecoderEngine engine) {
        return engine.model(engine.defaultRouting(), Placement.contiguous(engine.config().moe().numExperts(), 1));
    }

    private static void assertRowsMatch(ConformanceCase fixture, StepOutput out, int prompt, int firstRow, int rows) {
        int vocab = fixture.vocab();
        assertThat(out.vocab()).isEqualTo(vocab);
        for (int i = 0; i < rows; i++) {
            int expected = fixture.row(prompt, i);
            int actual = (firstRow + i) * vocab;
            for (int v = 0; v < vocab; v++) {
                float e = fixture.logits()[expected + v];
                float a = out.logits()[actual + v];
                if (Math.abs(e - a) > fixture.tolerance()) {
                    throw new AssertionError(fixture + ": prompt " + prompt + ", position " + i + ", token " + v
                            + ": logit " + a + ", reference " + e + " (tolerance " + fixture.tolerance() + ")");
                }
            }
        }
    }
}
