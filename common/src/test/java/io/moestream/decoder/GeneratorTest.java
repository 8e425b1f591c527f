package io.moestream.decoder;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Generation from the fixtures' prompts: when it stops, and what sampling promises. */
class GeneratorTest {

    private static final int NEW_TOKENS = 6;

    static Stream<ConformanceCase> cases() {
        return ConformanceCase.all();
    }

    /** The stop token ends the generation and is part of it; the prompt is alone so that no other prompt meets it. */
    @ParameterizedTest
    @MethodSource("cases")
    void aStopTokenEndsTheGenerationAndIsIncluded(ConformanceCase fixture) {
        int p = IntStream.range(0, fixture.prompts().size())
                .filter(i -> fixture.greedy().get(i)[1] != fixture.greedy().get(i)[0]).findFirst().orElseThrow();
        int[] greedy = fixture.greedy().get(p);
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            Generator generator = new Generator(Models.dropless(engine), Sampling.GREEDY, NEW_TOKENS, Set.of(greedy[1]), 0);
            Generator.Run run = generator.generate(List.of(fixture.prompts().get(p)), (s, t) -> { }, r -> { });
            Generation generation = run.generations().get(0);
            assertThat(generation.tokens()).containsExactly(greedy[0], greedy[1]);
            assertThat(generation.finishReason()).isEqualTo(Generation.FinishReason.STOP);
            assertThat(generation.promptTokens()).containsExactly(fixture.prompts().get(p));
            assertThat(run.decodeSteps()).isEqualTo(1);
        }
    }

    /** Every prompt runs to the budget; each decode step holds all of them, and the listener sees every token in order. */
    @ParameterizedTest
    @MethodSource("cases")
    void lengthEndsEveryPromptAtMaxNewTokens(ConformanceCase fixture) {
        int budget = 3;
        int n = fixture.prompts().size();
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            List<List<Integer>> streamed = new ArrayList<>();
            IntStream.range(0, n).forEach(i -> streamed.add(new ArrayList<>()));
            Generator.Run run = new Generator(Models.dropless(engine), Sampling.GREEDY, budget, Set.of(), 0)
                    .generate(fixture.prompts(), (s, t) -> streamed.get(s).add(t), r -> { });
            for (int p = 0; p < n; p++) {
                Generation generation = run.generations().get(p);
                int[] expected = Arrays.copyOf(fixture.greedy().get(p), budget);
                assertThat(generation.tokens()).as("prompt %d", p).containsExactly(expected);
                assertThat(streamed.get(p)).as("streamed tokens of prompt %d", p).isEqualTo(boxed(expected));
                assertThat(generation.finishReason()).isEqualTo(Generation.FinishReason.LENGTH);
                assertThat(generation.finishReason().apiName()).isEqualTo("length");
            }
            assertThat(run.prefillTokens()).isEqualTo(fixture.prompts().stream().mapToInt(prompt -> prompt.length).sum());
            assertThat(run.decodeSteps()).isEqualTo(budget - 1);
            assertThat(run.decodeTokens()).isEqualTo((budget - 1) * n);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void aTinyTemperatureOrATinyTopPIsGreedy(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            for (Sampling sampling : List.of(new Sampling(1e-6, 1, 11), new Sampling(1, 1e-6, 12))) {
                List<Generation> generations = new Generator(model, sampling, NEW_TOKENS, Set.of(), 0)
                        .generate(fixture.prompts(), (s, t) -> { }, r -> { }).generations();
                for (int p = 0; p < generations.size(); p++) {
                    assertThat(generations.get(p).tokens()).as("%s, prompt %d", sampling, p).containsExactly(fixture.greedy().get(p));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void aSeedReproducesTheSampleAndOtherSeedsVary(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            List<Generation> first = sample(model, 1.5, 42, fixture.prompts());
            List<Generation> again = sample(model, 1.5, 42, fixture.prompts());
            for (int p = 0; p < first.size(); p++) {
                assertThat(again.get(p).tokens()).containsExactly(first.get(p).tokens());
                assertThat(again.get(p).logprobs()).containsExactly(first.get(p).logprobs());
            }
            Set<List<Integer>> samples = new HashSet<>();
            for (long seed = 0; seed < 5; seed++) {
                samples.add(boxed(sample(model, 1.5, seed, fixture.prompts()).get(1).tokens()));
            }
            assertThat(samples).as("samples of prompt 1 under five seeds").hasSizeGreaterThan(1);
        }
    }

    /**
     * Each index of a call has its own random stream and, under dropless routing, its own logits: a
     * prompt samples the same tokens whatever the other prompts are, as long as it keeps its index.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void aSampleDependsOnItsIndexNotOnTheOtherPrompts(ConformanceCase fixture) {
        int[] a = fixture.prompts().get(0);
        int[] b = fixture.prompts().get(1);
        int[] c = fixture.prompts().get(2);
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            int[] alone = sample(model, 1, 7, List.of(a)).get(0).tokens();
            assertThat(sample(model, 1, 7, List.of(a, b)).get(0).tokens()).containsExactly(alone);
            assertThat(sample(model, 1, 7, List.of(a, c, b)).get(0).tokens()).containsExactly(alone);
            int[] second = sample(model, 1, 7, List.of(a, b)).get(1).tokens();
            assertThat(sample(model, 1, 7, List.of(c, b)).get(1).tokens()).containsExactly(second);
        }
    }

    /**
     * A generated token's log-probability is the model's own, before temperature: rescoring prompt
     * and sample in one prefill gives the same values as the decode steps over the KV cache did.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void sampledLogprobsAreTheModelsBeforeTemperature(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            List<Generation> generations = sample(model, 2, 5, fixture.prompts());
            List<int[]> whole = generations.stream().map(GeneratorTest::promptAndSample).toList();
            List<SequenceScore> scores = new Scorer(model, null, 0, 0).score(whole, r -> { }, (f, s, o) -> { });
            for (int p = 0; p < generations.size(); p++) {
                Generation generation = generations.get(p);
                for (int j = 0; j < generation.tokens().length; j++) {
                    assertThat(generation.logprobs()[j]).as("prompt %d, generated token %d", p, j)
                            .isCloseTo(scores.get(p).logprobs()[generation.promptTokens().length + j], within(1e-4));
                }
            }
        }
    }

    /**
     * A sequence computed again from its prompt and its first tokens (a worker's takeover) goes on as if it had
     * never stopped: the same budget, and sampling past the draws its first tokens took.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void aResumedSequenceGoesOnWhereItStopped(ConformanceCase fixture) {
        int[] prompt = fixture.prompts().get(0);
        Sampling sampling = new Sampling(1.5, 1, 42);
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            Generation whole = sample(model, 1.5, 42, List.of(prompt)).get(0);
            int before = 2;
            ContinuousBatch<String> batch = new ContinuousBatch<>(model, 0);
            batch.add("resumed", new ContinuousBatch.Request(prompt, sampling, 0, NEW_TOKENS, Set.of(), 0, false)
                    .resume(Arrays.copyOf(whole.tokens(), before)));
            List<Integer> rest = new ArrayList<>();
            List<Double> logprobs = new ArrayList<>();
            while (!batch.isEmpty()) {
                ContinuousBatch.Event<String> event = batch.step().events().get(0);
                rest.add(event.token());
                logprobs.add(event.logprob());
            }
            assertThat(rest).containsExactlyElementsOf(boxed(whole.tokens()).subList(before, NEW_TOKENS));
            for (int j = 0; j < rest.size(); j++) {
                assertThat(logprobs.get(j)).as("token %d", before + j).isCloseTo(whole.logprobs()[before + j], within(1e-4));
            }
        }
    }

    private static List<Generation> sample(DecoderModel model, double temperature, long seed, List<int[]> prompts) {
        return new Generator(model, new Sampling(temperature, 1, seed), NEW_TOKENS, Set.of(), 0)
                .generate(prompts, (s, t) -> { }, r -> { }).generations();
    }

    private static int[] promptAndSample(Generation generation) {
        return IntStream.concat(IntStream.of(generation.promptTokens()), IntStream.of(generation.tokens())).toArray();
    }

    private static List<Integer> boxed(int[] values) {
        return IntStream.of(values).boxed().toList();
    }
}
