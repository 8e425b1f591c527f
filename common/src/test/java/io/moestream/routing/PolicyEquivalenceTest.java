package io.moestream.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moestream.routing.Options.DropOrder;
import io.moestream.routing.Options.Metric;
import io.moestream.routing.Options.RerouteMode;
import io.moestream.routing.Options.ScoreFunction;
import io.moestream.routing.Options.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Policies that the spec says must coincide under some condition, checked on random steps. */
class PolicyEquivalenceTest {

    private static final double TOLERANCE = 1e-9;

    static Stream<RandomStep> steps() {
        return RandomStep.cases();
    }

    /** Every capacity-aware policy whose only effect is to drop or move slots. */
    private static List<UnaryOperator<RoutingConfig.Builder>> droppingPolicies() {
        List<UnaryOperator<RoutingConfig.Builder>> variants = new ArrayList<>();
        for (DropOrder order : DropOrder.values()) {
            variants.add(b -> b.policy(Policy.VANILLA).dropOrder(order));
        }
        for (Metric metric : Metric.values()) {
            variants.add(b -> b.policy(Policy.TOKEN_DROP).metric(metric));
        }
        for (RerouteMode mode : RerouteMode.values()) {
            variants.add(b -> b.policy(Policy.TOKEN_REROUTE).mode(mode));
        }
        return variants;
    }

    /** {@code gamma = ceil(E/k)} makes {@code C >= T} under either rounding: no expert can overflow. */
    private static RandomStep withCapacityForEveryToken(RandomStep step) {
        double gamma = (step.experts() + step.topK() - 1) / step.topK();
        RandomStep roomy = step.with(b -> b.capacityFactor(gamma).maxExpertsPerToken(null));
        assertThat(Reference.capacity(roomy.withPolicy(Policy.VANILLA))).isGreaterThanOrEqualTo(step.tokens());
        return roomy;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void droppingPoliciesEqualDroplessWhenCapacityCoversEveryToken(RandomStep step) {
        assertDroppingPoliciesEqualDropless(withCapacityForEveryToken(step));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void droppingPoliciesEqualDroplessWithoutACapacityFactor(RandomStep step) {
        for (Double none : Arrays.asList(null, 0.0, -1.0)) {
            assertDroppingPoliciesEqualDropless(step.with(b -> b.capacityFactor(none)));
        }
    }

    private static void assertDroppingPoliciesEqualDropless(RandomStep step) {
        RoutingResult dropless = step.withPolicy(Policy.DROPLESS).route();
        for (UnaryOperator<RoutingConfig.Builder> variant : droppingPolicies()) {
            RandomStep policy = step.with(variant);
            assertSameRouting(policy, policy.route(), dropless);
        }
        // Rectify weights are a softmax of the logits, which is what topk weights over softmax scores are.
        RoutingResult droplessSoftmax = step.with(b -> b.policy(Policy.DROPLESS).weights(Weights.TOPK)
                .scoreFunction(ScoreFunction.SOFTMAX)).route();
        RandomStep rectifyIr = step.withPolicy(Policy.RECTIFY_IR);
        assertSameRouting(rectifyIr, rectifyIr.route(), droplessSoftmax);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void expandedDropKeepsTopKAndEveryLocalExpertWhenCapacityCoversEveryToken(RandomStep step) {
        double[][] p = Reference.scores(step);
        int[] local = step.placement().expertsOn(step.sourceRank());
        withCapacityForEveryToken(step).checkUnder(EnumSet.of(Policy.EXPANDED_DROP), (variant, result) -> {
            for (int t = 0; t < result.tokens(); t++) {
                int[] topK = Reference.topK(variant, p[t]);
                int[] candidates = IntStream.concat(Arrays.stream(topK), Arrays.stream(local)).distinct().sorted()
                        .toArray();
                assertThat(Reference.experts(result.kept(t), slot -> true)).as("kept experts of token %d", t)
                        .containsExactly(candidates);
                assertThat(result.dropped(t)).as("dropped experts of token %d", t).isEmpty();
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void fillInRectificationKeepsTheTopKPlusOneWhenCapacityCoversEveryToken(RandomStep step) {
        double[][] p = Reference.scores(step);
        int kept = Math.min(step.topK() + 1, step.experts());
        withCapacityForEveryToken(step).checkUnder(EnumSet.of(Policy.RECTIFY_FR, Policy.RECTIFY), (variant, result) -> {
            for (int t = 0; t < result.tokens(); t++) {
                int[] topKPlusOne = Arrays.stream(Reference.choices(p[t])).limit(kept).sorted().toArray();
                assertThat(Reference.experts(result.kept(t), slot -> true)).as("kept experts of token %d", t)
                        .containsExactly(topKPlusOne);
                assertThat(result.dropped(t)).as("dropped experts of token %d", t).isEmpty();
            }
        });
    }

    /** Section 2.4: "{@code rounds = 1} equals {@code token-drop}". */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void tokenRerouteWithOneRoundEqualsTokenDropByScore(RandomStep step) {
        RandomStep reroute = step.with(b -> b.policy(Policy.TOKEN_REROUTE).mode(RerouteMode.ROUNDS).rounds(1));
        RoutingResult tokenDrop = step.with(b -> b.policy(Policy.TOKEN_DROP).metric(Metric.SCORE)).route();
        assertSameRouting(reroute, reroute.route(), tokenDrop);
    }

    /** Without local experts the candidates are just the top-k, so nothing is left to expand to. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void expandedDropFromARankWithoutExpertsEqualsTokenDropByScore(RandomStep step) {
        RandomStep remote = step.fromRankWithoutExperts();
        RandomStep expanded = remote.with(b -> b.policy(Policy.EXPANDED_DROP).maxExpertsPerToken(null));
        RoutingResult tokenDrop = remote.with(b -> b.policy(Policy.TOKEN_DROP).metric(Metric.SCORE)).route();
        assertSameRouting(expanded, expanded.route(), tokenDrop);
    }

    /**
     * Greedy reroute runs "after token-drop": its primary slots are token-drop's kept slots. The
     * spec does not say which metric that token-drop uses; read as the configured one.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void greedyRerouteStartsFromTokenDrop(RandomStep step) {
        RoutingResult tokenDrop = step.withPolicy(Policy.TOKEN_DROP).route();
        RandomStep greedy = step.with(b -> b.policy(Policy.TOKEN_REROUTE).mode(RerouteMode.GREEDY));
        assertSamePrimarySlots(greedy, greedy.route(), tokenDrop);
    }

    /** Section 2.6 step 1: the rectify family only adds slots to what {@code vanilla} kept. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void rectifyPoliciesStartFromVanilla(RandomStep step) {
        RoutingResult vanilla = step.withPolicy(Policy.VANILLA).route();
        step.checkUnder(EnumSet.of(Policy.RECTIFY, Policy.RECTIFY_IR, Policy.RECTIFY_FR),
                (variant, result) -> assertSamePrimarySlots(variant, result, vanilla));
    }

    /**
     * Same primary slots as the base policy, and its dropped experts less any that an added slot
     * returns the token to (IR under {@code ir-exclude-dropping-expert false}): that expert keeps it.
     */
    private static void assertSamePrimarySlots(RandomStep step, RoutingResult actual, RoutingResult expected) {
        for (int t = 0; t < actual.tokens(); t++) {
            assertThat(Reference.experts(actual.kept(t), slot -> slot.kind() == SlotKind.PRIMARY))
                    .as("%s: primary experts of token %d", step.config(), t)
                    .containsExactly(Reference.experts(expected.kept(t), slot -> slot.kind() == SlotKind.PRIMARY));
            int[] kept = Reference.experts(actual.kept(t), slot -> true);
            assertThat(actual.dropped(t)).as("%s: dropped experts of token %d", step.config(), t)
                    .containsExactly(Arrays.stream(expected.dropped(t)).filter(e -> !Reference.contains(kept, e))
                            .toArray());
        }
    }

    private static List<Slot> withoutWeights(List<Slot> slots) {
        return slots.stream().map(slot -> new Slot(slot.expert(), slot.kind(), 0, slot.multiplicity())).toList();
    }

    /** Same slots (expert, kind, multiplicity) and dropped experts per token; weights within tolerance. */
    private static void assertSameRouting(RandomStep step, RoutingResult actual, RoutingResult expected) {
        for (int t = 0; t < actual.tokens(); t++) {
            List<Slot> actualSlots = actual.kept(t);
            List<Slot> expectedSlots = expected.kept(t);
            assertThat(withoutWeights(actualSlots)).as("%s: slots of token %d", step.config(), t)
                    .isEqualTo(withoutWeights(expectedSlots));
            for (int i = 0; i < actualSlots.size(); i++) {
                assertThat(actualSlots.get(i).weight()).as("%s: weight of token %d on expert %d", step.config(), t,
                        actualSlots.get(i).expert()).isCloseTo(expectedSlots.get(i).weight(), within(TOLERANCE));
            }
            assertThat(actual.dropped(t)).as("%s: dropped experts of token %d", step.config(), t)
                    .containsExactly(expected.dropped(t));
        }
    }
}
