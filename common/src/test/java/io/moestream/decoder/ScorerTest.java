package io.moestream.decoder;

import io.moestream.routing.RoutingStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Log-likelihoods of the fixtures' prompts: against the reference's logits, packed into steps, and
 * beside the dropless reference routing.
 */
class ScorerTest {

    /** The fixtures' three prompts (15 tokens together) fit one step of this many tokens. */
    private static final int STEP_TOKENS = 16;

    static Stream<ConformanceCase> cases() {
        return ConformanceCase.all();
    }

    /**
     * {@code logprobs[i]} is the log-softmax of the reference's logits at position {@code i - 1},
     * taken at the token that follows; nll and perplexity are their mean and its exponential.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void logprobsAreTheReferenceLogSoftmaxAtTheNextToken(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            List<SequenceScore> scores = new Scorer(Models.dropless(engine), null, 0, 0)
                    .score(fixture.prompts(), r -> { }, (f, s, o) -> { });
            assertThat(scores).hasSameSizeAs(fixture.prompts());
            for (int p = 0; p < scores.size(); p++) {
                int[] prompt = fixture.prompts().get(p);
                SequenceScore score = scores.get(p);
                assertThat(score.tokens()).containsExactly(prompt);
                assertThat(score.comparison()).isNull();
                assertThat(score.logprobs()[0]).isNaN();
                double sum = 0;
                for (int i = 1; i < prompt.length; i++) {
                    double expected = referenceLogprob(fixture, fixture.row(p, i - 1), prompt[i]);
                    assertThat(score.logprobs()[i]).as("%s prompt %d position %d", fixture, p, i)
                            .isCloseTo(expected, within(fixture.tolerance()));
                    sum += expected;
                }
                assertThat(score.predicted()).isEqualTo(prompt.length - 1);
                if (prompt.length == 1) {
                    assertThat(score.nll()).isNaN();
                } else {
                    double nll = -sum / (prompt.length - 1);
                    assertThat(score.nll()).isCloseTo(nll, within(fixture.tolerance()));
                    assertThat(score.perplexity()).isCloseTo(Math.exp(nll), within(Math.exp(nll) * 2 * fixture.tolerance()));
                }
            }
        }
    }

    /** Under dropless a token's route does not depend on the others, so packing changes the steps but no score. */
    @ParameterizedTest
    @MethodSource("cases")
    void packingUnderDroplessChangesTheStepsButNoScore(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            List<Integer> firsts = new ArrayList<>();
            List<RoutingStats> alone = new ArrayList<>();
            List<SequenceScore> one = new Scorer(model, null, 0, 0)
                    .score(fixture.prompts(), r -> alone.add(r.routing().stats()), (f, s, o) -> firsts.add(f));
            List<RoutingStats> packed = new ArrayList<>();
            List<SequenceScore> many = new Scorer(model, null, STEP_TOKENS, 0)
                    .score(fixture.prompts(), r -> packed.add(r.routing().stats()), (f, s, o) -> firsts.add(f));

            List<Integer> expectedFirsts = new ArrayList<>(IntStream.range(0, fixture.prompts().size()).boxed().toList());
            expectedFirsts.add(0);
            assertThat(firsts).as("the first sequence of each step, alone then packed").isEqualTo(expectedFirsts);
            assertSteps(alone, Models.moeLayers(engine.config()), lengths(fixture));
            assertSteps(packed, Models.moeLayers(engine.config()), packed(fixture));
            for (int p = 0; p < one.size(); p++) {
                for (int i = 1; i < one.get(p).logprobs().length; i++) {
                    assertThat(many.get(p).logprobs()[i]).as("prompt %d position %d", p, i)
                            .isCloseTo(one.get(p).logprobs()[i], within(1e-9));
                }
            }
        }
    }

    /** Capacity is a share of the step's tokens, so a packed step has one capacity for all its sequences. */
    @ParameterizedTest
    @MethodSource("cases")
    void packingUnderCapacityRoutesTheSequencesTogether(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.tokenDrop(engine, 1.0, 1);
            List<RoutingStats> alone = new ArrayList<>();
            new Scorer(model, null, 0, 0).score(fixture.prompts(), r -> alone.add(r.routing().stats()), (f, s, o) -> { });
            List<RoutingStats> packed = new ArrayList<>();
            new Scorer(model, null, STEP_TOKENS, 0).score(fixture.prompts(), r -> packed.add(r.routing().stats()), (f, s, o) -> { });

            int layers = Models.moeLayers(engine.config());
            assertSteps(alone, layers, lengths(fixture));
            assertSteps(packed, layers, packed(fixture));
            int largestAlone = alone.stream().mapToInt(RoutingStats::capacity).max().orElseThrow();
            assertThat(packed).allSatisfy(stats -> assertThat(stats.capacity()).isGreaterThan(largestAlone));
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void droplessBesideDroplessDiffersInNothing(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            List<SequenceScore> scores = new Scorer(Models.dropless(engine), Models.dropless(engine), 0, 0)
                    .score(fixture.prompts(), r -> { }, (f, s, o) -> { });
            for (SequenceScore score : scores) {
                SequenceScore.Comparison comparison = score.comparison();
                assertThat(comparison.klSum()).isZero();
                assertThat(comparison.top1Agreements()).isEqualTo(score.predicted());
                assertThat(comparison.referenceLogprobs()).containsExactly(score.logprobs());
            }
        }
    }

    /** Half the capacity dropless would need, with the experts on two ranks, drops tokens and so moves the distributions. */
    @ParameterizedTest
    @MethodSource("cases")
    void tokenDropBesideDroplessHasAPositiveDivergence(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            List<SequenceScore> dropless = new Scorer(Models.dropless(engine), null, 0, 0)
                    .score(fixture.prompts(), r -> { }, (f, s, o) -> { });
            List<RoutingStats> routing = new ArrayList<>();
            List<SequenceScore> scores = new Scorer(Models.tokenDrop(engine, 0.5, 2), Models.dropless(engine), 0, 0)
                    .score(fixture.prompts(), r -> routing.add(r.routing().stats()), (f, s, o) -> { });

            assertThat(routing.stream().mapToInt(RoutingStats::dropped).sum()).as("dropped slots").isPositive();
            double kl = 0;
            for (int p = 0; p < scores.size(); p++) {
                SequenceScore.Comparison comparison = scores.get(p).comparison();
                assertThat(comparison.klSum()).isGreaterThanOrEqualTo(0);
                assertThat(comparison.top1Agreements()).isBetween(0, scores.get(p).predicted());
                assertThat(comparison.referenceLogprobs()).containsExactly(dropless.get(p).logprobs());
                kl += comparison.klSum();
            }
            assertThat(kl).isPositive();
        }
    }

    /**
     * Several models scored at once over the same packed steps give each model what scoring it alone
     * beside the reference gives, the reference itself among them included.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void scoringSeveralModelsAtOnceGivesEachItsOwnScores(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel reference = Models.dropless(engine);
            DecoderModel dropping = Models.tokenDrop(engine, 0.5, 2);
            List<RoutingStats> aloneRouting = new ArrayList<>();
            List<SequenceScore> alone = new Scorer(Models.tokenDrop(engine, 0.5, 2), Models.dropless(engine),
                    STEP_TOKENS, 0).score(fixture.prompts(), r -> aloneRouting.add(r.routing().stats()), (f, s, o) -> { });
            List<RoutingStats> eachRouting = new ArrayList<>();
            List<Integer> firsts = new ArrayList<>();
            List<List<SequenceScore>> each = new Scorer(List.of(dropping, reference), reference, STEP_TOKENS, 0)
                    .scoreEach(fixture.prompts(), List.of(r -> eachRouting.add(r.routing().stats()), r -> { }),
                            (f, s, o) -> firsts.add(f));

            assertThat(each).hasSize(2);
            assertThat(firsts).containsExactly(0);
            assertThat(eachRouting).isEqualTo(aloneRouting);
            for (int p = 0; p < alone.size(); p++) {
                SequenceScore.Comparison expected = alone.get(p).comparison();
                SequenceScore.Comparison got = each.get(0).get(p).comparison();
                assertThat(each.get(0).get(p).logprobs()).containsExactly(alone.get(p).logprobs());
                assertThat(got.referenceLogprobs()).containsExactly(expected.referenceLogprobs());
                assertThat(got.klSum()).isEqualTo(expected.klSum());
                assertThat(got.top1Agreements()).isEqualTo(expected.top1Agreements());
                SequenceScore self = each.get(1).get(p);
                assertThat(self.comparison().klSum()).isZero();
                assertThat(self.comparison().top1Agreements()).isEqualTo(self.predicted());
                assertThat(self.logprobs()).containsExactly(expected.referenceLogprobs());
            }
        }
    }

    /** {@code log softmax(logits)[token]} of one row of the reference's logits, in double. */
    private static double referenceLogprob(ConformanceCase fixture, int from, int token) {
        float[] logits = fixture.logits();
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < fixture.vocab(); v++) {
            max = Math.max(max, logits[from + v]);
        }
        double sum = 0;
        for (int v = 0; v < fixture.vocab(); v++) {
            sum += Math.exp(logits[from + v] - max);
        }
        return logits[from + token] - max - Math.log(sum);
    }

    private static int[] lengths(ConformanceCase fixture) {
        return fixture.prompts().stream().mapToInt(prompt -> prompt.length).toArray();
    }

    /** The one step that packs all of the fixture's prompts. */
    private static int packed(ConformanceCase fixture) {
        int tokens = fixture.prompts().stream().mapToInt(prompt -> prompt.length).sum();
        assertThat(tokens).as("the fixture's prompts fit one step").isLessThanOrEqualTo(STEP_TOKENS);
        return tokens;
    }

    /** Each MoE layer sees one routing step per packed group, of these many tokens, group after group. */
    private static void assertSteps(List<RoutingStats> steps, int moeLayers, int... tokensPerStep) {
        assertThat(steps).hasSize(moeLayers * tokensPerStep.length);
        for (int s = 0; s < tokensPerStep.length; s++) {
            for (int l = 0; l < moeLayers; l++) {
                assertThat(steps.get(s * moeLayers + l).tokens()).as("step %d, MoE layer %d", s, l).isEqualTo(tokensPerStep[s]);
            }
        }
    }
}
