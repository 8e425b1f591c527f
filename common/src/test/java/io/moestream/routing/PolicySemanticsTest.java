package io.moestream.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.routing.Options.CapacityScope;
import io.moestream.routing.Options.DropOrder;
import io.moestream.routing.Options.IrCapacity;
import io.moestream.routing.Options.Metric;
import io.moestream.routing.Options.RerouteMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What each policy of section 2 may keep, where, and in which order, checked on random steps. */
class PolicySemanticsTest {

    private static final Map<Policy, Set<SlotKind>> KINDS = Map.of(
            Policy.DROPLESS, EnumSet.of(SlotKind.PRIMARY),
            Policy.VANILLA, EnumSet.of(SlotKind.PRIMARY),
            Policy.TOKEN_DROP, EnumSet.of(SlotKind.PRIMARY),
            Policy.TOKEN_REROUTE, EnumSet.of(SlotKind.PRIMARY, SlotKind.REROUTED),
            Policy.EXPANDED_DROP, EnumSet.of(SlotKind.PRIMARY, SlotKind.EXPANDED),
            Policy.RECTIFY_IR, EnumSet.of(SlotKind.PRIMARY, SlotKind.RECTIFIED),
            Policy.RECTIFY_FR, EnumSet.of(SlotKind.PRIMARY, SlotKind.FILLED),
            Policy.RECTIFY, EnumSet.of(SlotKind.PRIMARY, SlotKind.RECTIFIED, SlotKind.FILLED));
    private static final Set<Policy> INTRA_GPU = EnumSet.of(Policy.RECTIFY, Policy.RECTIFY_IR);
    private static final Set<Policy> FILL_IN = EnumSet.of(Policy.RECTIFY, Policy.RECTIFY_FR);

    static Stream<RandomStep> steps() {
        return RandomStep.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void slotKindsAreThoseThePolicyCanProduceAndOnlyRectifiedSlotsCountSeveral(RandomStep step) {
        step.checkUnder(KINDS.keySet(), (variant, result) -> {
            for (int t = 0; t < result.tokens(); t++) {
                for (Slot slot : result.kept(t)) {
                    assertThat(slot.kind()).as("kind of token %d on expert %d", t, slot.expert())
                            .isIn(KINDS.get(variant.config().policy()));
                    if (slot.kind() != SlotKind.RECTIFIED) {
                        assertThat(slot.multiplicity()).as("multiplicity of token %d on expert %d", t, slot.expert())
                                .isEqualTo(1);
                    }
                }
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void reroutedSlotsLandOutsideTheTopKAndOnlyReplaceDroppedOnes(RandomStep step) {
        double[][] p = Reference.scores(step);
        for (RerouteMode mode : RerouteMode.values()) {
            step.with(b -> b.mode(mode)).checkUnder(EnumSet.of(Policy.TOKEN_REROUTE), (variant, result) -> {
                for (int t = 0; t < result.tokens(); t++) {
                    int[] rerouted = Reference.experts(result.kept(t), slot -> slot.kind() == SlotKind.REROUTED);
                    assertThat(Reference.boxed(rerouted)).as("rerouted experts of token %d", t)
                            .doesNotContainAnyElementsOf(Reference.boxed(Reference.topK(variant, p[t])));
                    assertThat(rerouted.length).as("rerouted slots of token %d", t)
                            .isLessThanOrEqualTo(result.dropped(t).length);
                }
            });
        }
    }

    /** Checked against a literal execution of section 2.4's rounds, where rounding cannot decide it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void roundsRerouteKeepsWhatTheSpecsRoundsKeep(RandomStep step) {
        double[][] p = Reference.scores(step);
        for (int rounds : new int[] {2, 3}) {
            RandomStep roundsMode = step.with(b -> b.mode(RerouteMode.ROUNDS).rounds(rounds));
            roundsMode.checkUnder(EnumSet.of(Policy.TOKEN_REROUTE), (variant, result) ->
                    RerouteRoundsModel.kept(variant, p).ifPresent(expected -> assertThat(
                            Reference.perToken(result, t -> Reference.experts(result.kept(t), slot -> true)))
                            .as("kept experts, per token").isEqualTo(expected)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void expandedSlotsLandOnLocalExpertsOutsideTheTopK(RandomStep step) {
        double[][] p = Reference.scores(step);
        int[] local = step.placement().expertsOn(step.sourceRank());
        step.checkUnder(EnumSet.of(Policy.EXPANDED_DROP), (variant, result) -> {
            for (int t = 0; t < result.tokens(); t++) {
                int[] expanded = Reference.experts(result.kept(t), slot -> slot.kind() == SlotKind.EXPANDED);
                assertThat(Reference.boxed(expanded)).as("expanded experts of token %d", t)
                        .isSubsetOf(Reference.boxed(local))
                        .doesNotContainAnyElementsOf(Reference.boxed(Reference.topK(variant, p[t])));
            }
        });
    }

    /** {@code k} is the paper's "w/ max" row; 1 is the tightest cap. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void expandedDropKeepsAtMostMaxExpertsPerToken(RandomStep step) {
        for (int max : new int[] {1, step.topK()}) {
            step.with(b -> b.maxExpertsPerToken(max)).checkUnder(EnumSet.of(Policy.EXPANDED_DROP), (variant, result) -> {
                for (int t = 0; t < result.tokens(); t++) {
                    assertThat(result.kept(t)).as("kept slots of token %d", t).hasSizeLessThanOrEqualTo(max);
                }
            });
        }
    }

    /**
     * Each capacity group keeps as many of its candidate slots as its budget allows, and never a
     * worse candidate in place of a better one under the policy's order (sections 2.2, 2.3, 2.5).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void overflowingGroupsKeepTheirBestCandidates(RandomStep step) {
        double[][] p = Reference.scores(step);
        int[] local = step.placement().expertsOn(step.sourceRank());
        List<RandomStep> variants = new ArrayList<>();
        for (DropOrder order : DropOrder.values()) {
            variants.add(step.with(b -> b.policy(Policy.VANILLA).dropOrder(order)));
        }
        for (Metric metric : Metric.values()) {
            variants.add(step.with(b -> b.policy(Policy.TOKEN_DROP).metric(metric)));
        }
        variants.add(step.with(b -> b.policy(Policy.EXPANDED_DROP).maxExpertsPerToken(null)));
        for (RandomStep variant : variants) {
            RoutingResult result = variant.route();
            if (result.capacity() == null) {
                continue;
            }
            List<Candidate> candidates = new ArrayList<>();
            for (int t = 0; t < variant.tokens(); t++) {
                int[] choices = Reference.choices(p[t]);
                int[] kept = Reference.experts(result.kept(t), slot -> true);
                for (int choice = 0; choice < choices.length; choice++) {
                    int e = choices[choice];
                    boolean candidate = choice < variant.topK()
                            || variant.config().policy() == Policy.EXPANDED_DROP && Reference.contains(local, e);
                    if (candidate) {
                        candidates.add(new Candidate(t, e, choice, Reference.contains(kept, e)));
                    }
                }
            }
            for (int group = 0; group < Reference.groups(variant); group++) {
                assertGroupKeepsItsBest(variant, p, result, group, candidates);
            }
        }
    }

    private record Candidate(int token, int expert, int choice, boolean kept) {
    }

    private static void assertGroupKeepsItsBest(RandomStep step, double[][] p, RoutingResult result, int group,
                                                List<Candidate> all) {
        List<Candidate> candidates = all.stream().filter(c -> Reference.groupOf(step, c.expert()) == group).toList();
        List<Candidate> kept = candidates.stream().filter(Candidate::kept).toList();
        assertThat(kept).as("%s: kept candidates of capacity group %d in\n%s", step.config(), group, result)
                .hasSize(Math.min(candidates.size(), Reference.budget(step, group, result.capacity())));
        for (Candidate keptOne : kept) {
            for (Candidate droppedOne : candidates) {
                if (!droppedOne.kept() && mustPrefer(step, p, droppedOne, keptOne)) {
                    throw new AssertionError(step.config() + ": capacity group " + group + " kept " + keptOne
                            + " over " + droppedOne + " in\n" + result);
                }
            }
        }
    }

    private static boolean mustPrefer(RandomStep step, double[][] p, Candidate x, Candidate y) {
        RoutingConfig config = step.config();
        boolean byPosition = config.policy() == Policy.VANILLA && config.dropOrder() == DropOrder.POSITION;
        Metric metric = config.policy() == Policy.TOKEN_DROP ? config.metric() : Metric.SCORE;
        if (byPosition) {
            return x.choice() < y.choice() || x.choice() == y.choice() && x.token() < y.token();
        }
        return switch (metric) {
            case SCORE -> Reference.mustPreferByScore(step, p, x.token(), x.expert(), y.token(), y.expert());
            case ORDER -> x.token() < y.token();
            case REVERSE -> x.token() > y.token();
            case RANDOM -> false;
        };
    }

    /**
     * Both tokens score {@code e^3 / (e^3 + e^1 + e^1 + e^0)} on expert 0: a tie, so the one place
     * goes to the lower token index. The rows are permutations of each other, so a softmax whose sum
     * depends on the order of the row breaks the tie by rounding instead.
     */
    @Test
    void tokensWhoseLogitRowsArePermutationsTieAndTheLowerTokenKeepsThePlace() {
        double[][] logits = {{3, 1, 1, 0}, {3, 0, 1, 1}};
        RoutingConfig tokenDrop = RoutingConfig.builder(Policy.TOKEN_DROP, 1).capacityFactor(1.0).build();
        RoutingResult result = new Router(tokenDrop, Placement.contiguous(4, 1)).route(logits, 0);
        assertThat(result.capacity()).isEqualTo(1);
        assertThat(result.dropped(0)).as("dropped experts of token 0 in\n%s", result).isEmpty();
        assertThat(result.dropped(1)).as("dropped experts of token 1 in\n%s", result).containsExactly(0);
    }

    /**
     * A thousand tokens with the same row all choose expert 0 with the same score, and its 500 places
     * go to the lowest token indices. An expert's bucket this large and this tied is what makes the
     * selection give up partitioning and sort, a path the small random steps never reach.
     */
    @Test
    void aLargeBucketOfEqualScoresKeepsTheLowestTokenIndices() {
        double[][] logits = new double[1000][];
        Arrays.setAll(logits, t -> new double[] {1, 0});
        RoutingConfig tokenDrop = RoutingConfig.builder(Policy.TOKEN_DROP, 1).capacityFactor(1.0).build();
        RoutingResult result = new Router(tokenDrop, Placement.contiguous(2, 1)).route(logits, 0);
        assertThat(result.capacity()).isEqualTo(500);
        assertThat(IntStream.range(0, 1000).filter(t -> !result.kept(t).isEmpty()).toArray())
                .isEqualTo(IntStream.range(0, 500).toArray());
    }

    /**
     * Token 1 loses expert 0 to token 0 and is rectified onto expert 1, whose logit lies 1000 below:
     * its softmax score underflows to zero, yet the slot is the token's only one and weighs 1.
     */
    @Test
    void aRectifiedSlotFarBelowTheRowsBestLogitStillWeighsOne() {
        double[][] logits = {{0, -1000}, {0, -1000}};
        RoutingConfig rectify = RoutingConfig.builder(Policy.RECTIFY_IR, 1).capacityFactor(1.0).build();
        RoutingResult result = new Router(rectify, Placement.contiguous(2, 1)).route(logits, 0);
        assertThat(result.kept(1)).as("slots of token 1 in\n%s", result)
                .containsExactly(new Slot(1, SlotKind.RECTIFIED, 1.0, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void intraGpuRectificationAddsOneLocalSlotStandingForTheDroppedOnes(RandomStep step) {
        int[] local = step.placement().expertsOn(step.sourceRank());
        double[][] p = Reference.scores(step);
        step.checkUnder(INTRA_GPU, (variant, result) -> {
            for (int t = 0; t < result.tokens(); t++) {
                List<Slot> rectified = result.kept(t).stream().filter(s -> s.kind() == SlotKind.RECTIFIED).toList();
                int[] droppedByBase = droppedByBase(variant, result, p, t);
                assertThat(rectified).as("rectified slots of token %d", t)
                        .hasSizeLessThanOrEqualTo(droppedByBase.length > 0 ? 1 : 0);
                for (Slot slot : rectified) {
                    assertThat(local).as("local experts, which must hold token %d's rectified slot", t)
                            .contains(slot.expert());
                    assertThat(slot.multiplicity()).as("multiplicity of token %d's rectified slot", t)
                            .isEqualTo(droppedByBase.length);
                    if (variant.config().irExcludeDroppingExpert()) {
                        assertThat(droppedByBase).as("experts that dropped token %d", t).doesNotContain(slot.expert());
                    }
                }
            }
        });
    }

    /**
     * The experts that dropped token {@code t} in the vanilla base of 2.6 ({@code d_t} of them): its
     * top-k not kept as primary. After IR one of them may keep it again, so this is not {@code dropped(t)}.
     */
    private static int[] droppedByBase(RandomStep step, RoutingResult result, double[][] p, int t) {
        int[] primary = Reference.experts(result.kept(t), slot -> slot.kind() == SlotKind.PRIMARY);
        return Arrays.stream(Reference.topK(step, p[t])).filter(e -> !Reference.contains(primary, e)).toArray();
    }

    /** Under {@code ir-capacity unbounded} nothing stops IR, so it must take {@code argmax a} whenever a candidate exists. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void unboundedIntraGpuRectificationTakesTheHighestLogitLocalCandidate(RandomStep step) {
        int[] local = step.placement().expertsOn(step.sourceRank());
        double[][] p = Reference.scores(step);
        for (boolean exclude : new boolean[] {true, false}) {
            RandomStep unbounded = step.with(b -> b.irCapacity(IrCapacity.UNBOUNDED).irExcludeDroppingExpert(exclude));
            unbounded.checkUnder(INTRA_GPU, (variant, result) -> {
                for (int t = 0; t < result.tokens(); t++) {
                    int[] dropped = droppedByBase(variant, result, p, t);
                    if (dropped.length == 0) {
                        continue;
                    }
                    int[] primary = Reference.experts(result.kept(t), slot -> slot.kind() == SlotKind.PRIMARY);
                    double[] a = variant.logits()[t];
                    double[] candidateLogits = Arrays.stream(local)
                            .filter(e -> !Reference.contains(primary, e) && !(exclude && Reference.contains(dropped, e)))
                            .mapToDouble(e -> a[e]).toArray();
                    double[] rectifiedLogits = result.kept(t).stream().filter(s -> s.kind() == SlotKind.RECTIFIED)
                            .mapToDouble(s -> a[s.expert()]).toArray();
                    double[] expected = Arrays.stream(candidateLogits).max().stream().toArray();
                    assertThat(rectifiedLogits).as("logit of token %d's rectified slot", t).containsExactly(expected);
                }
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void filledSlotsTakeTheTokensNextChoiceAfterTheTopK(RandomStep step) {
        double[][] p = Reference.scores(step);
        step.checkUnder(FILL_IN, (variant, result) -> {
            for (int t = 0; t < result.tokens(); t++) {
                int[] filled = Reference.experts(result.kept(t), slot -> slot.kind() == SlotKind.FILLED);
                int[] next = Arrays.stream(Reference.choices(p[t])).skip(variant.topK()).limit(1).toArray();
                assertThat(Reference.boxed(filled)).as("filled experts of token %d", t).isSubsetOf(Reference.boxed(next));
            }
        });
    }

    /**
     * Per expert, FR hands its vacancy to the best candidates (tokens whose next choice it is) until
     * the candidates or the vacancy run out. Only under expert scope, where vacancy is per expert.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void fillInGivesEachExpertsVacancyToItsBestCandidates(RandomStep step) {
        double[][] p = Reference.scores(step);
        RandomStep perExpert = step.with(b -> b.capacityScope(CapacityScope.EXPERT));
        perExpert.checkUnder(FILL_IN, (variant, result) -> {
            Integer capacity = result.capacity();
            if (capacity == null || variant.topK() == variant.experts()) {
                return;
            }
            int[] load = Reference.groupLoads(variant, result, slot -> true);
            for (int e = 0; e < variant.experts(); e++) {
                int expert = e;
                int[] candidates = IntStream.range(0, result.tokens())
                        .filter(t -> Reference.choices(p[t])[variant.topK()] == expert)
                        .filter(t -> !Reference.contains(Reference.experts(result.kept(t),
                                slot -> slot.kind() != SlotKind.FILLED), expert))
                        .toArray();
                int[] filled = Arrays.stream(candidates).filter(t -> Reference.contains(
                        Reference.experts(result.kept(t), slot -> slot.kind() == SlotKind.FILLED), expert)).toArray();
                int[] unfilled = Arrays.stream(candidates).filter(t -> !Reference.contains(filled, t)).toArray();
                if (unfilled.length > 0) {
                    assertThat(load[e]).as("load of expert %d, which left candidates %s unfilled", e,
                            Arrays.toString(unfilled)).isGreaterThanOrEqualTo(capacity);
                }
                for (int in : filled) {
                    for (int out : unfilled) {
                        assertThat(Reference.mustPreferByScore(variant, p, out, e, in, e))
                                .as("expert %d filled token %d over token %d", e, in, out).isFalse();
                    }
                }
            }
        });
    }
}
