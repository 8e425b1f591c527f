package io.moestream.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moestream.routing.Options.IrCapacity;
import io.moestream.routing.Options.Metric;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Invariants of ROUTING-SPEC that hold for every policy, checked on random steps. */
class RoutingPropertiesTest {

    private static final double TOLERANCE = 1e-9;
    private static final Set<Policy> ALL = EnumSet.allOf(Policy.class);
    private static final Set<Policy> RECTIFYING = EnumSet.of(Policy.RECTIFY, Policy.RECTIFY_IR, Policy.RECTIFY_FR);

    static Stream<RandomStep> steps() {
        return RandomStep.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void capacityIsTheSpecFormulaAndAbsentWithoutACapacityFactor(RandomStep step) {
        step.checkUnder(ALL, (variant, result) -> {
            Integer expected = Reference.capacity(variant);
            assertThat(result.capacity()).isEqualTo(expected);
            assertThat(result.stats().capacity()).isEqualTo(expected);
        });
    }

    /** Only Intra-GPU Rectification under {@code ir-capacity unbounded} may exceed the budget (2.6). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void noCapacityGroupExceedsItsBudget(RandomStep step) {
        step.checkUnder(ALL, (variant, result) -> {
            if (result.capacity() == null) {
                return;
            }
            boolean irMayOverflow = EnumSet.of(Policy.RECTIFY, Policy.RECTIFY_IR).contains(variant.config().policy())
                    && variant.config().irCapacity() == IrCapacity.UNBOUNDED;
            int[] load = Reference.groupLoads(variant, result,
                    slot -> !(irMayOverflow && slot.kind() == SlotKind.RECTIFIED));
            for (int group = 0; group < load.length; group++) {
                assertThat(load[group]).as("load of capacity group %d", group)
                        .isLessThanOrEqualTo(Reference.budget(variant, group, result.capacity()));
            }
        });
    }

    /** FR fills vacancy counted after IR, so a group it fills is within budget even with IR's slots. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void fillInRectificationNeverPushesAGroupOverBudget(RandomStep step) {
        step.checkUnder(EnumSet.of(Policy.RECTIFY, Policy.RECTIFY_FR), (variant, result) -> {
            if (result.capacity() == null) {
                return;
            }
            int[] filled = Reference.groupLoads(variant, result, slot -> slot.kind() == SlotKind.FILLED);
            int[] load = Reference.groupLoads(variant, result, slot -> true);
            for (int group = 0; group < load.length; group++) {
                if (filled[group] > 0) {
                    assertThat(load[group]).as("load of capacity group %d, which has filled slots", group)
                            .isLessThanOrEqualTo(Reference.budget(variant, group, result.capacity()));
                }
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void eachTokenKeepsAnExpertAtMostOnceListedByExpertId(RandomStep step) {
        step.checkUnder(ALL, (variant, result) ->
                assertThat(Reference.perToken(result, t -> Reference.experts(result.kept(t), slot -> true)))
                        .as("kept experts, per token").allMatch(RoutingPropertiesTest::strictlyAscending));
    }

    private static boolean strictlyAscending(List<Integer> values) {
        return IntStream.range(1, values.size()).allMatch(i -> values.get(i - 1) < values.get(i));
    }

    /**
     * Primary slots lie in {@code topk(t)}; dropped lists, in choice order, the experts of
     * {@code topk(t)} that keep the token in no slot (section 1, "Slot"). An expert that keeps it
     * in a slot of another kind, such as IR's back onto the expert that dropped it, is not dropped.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void droppedAreTheTopKExpertsThatKeepTheTokenInNoSlot(RandomStep step) {
        double[][] p = Reference.scores(step);
        step.checkUnder(ALL, (variant, result) -> {
            int[][] topK = IntStream.range(0, result.tokens()).mapToObj(t -> Reference.topK(variant, p[t]))
                    .toArray(int[][]::new);
            int[][] primary = IntStream.range(0, result.tokens()).mapToObj(t -> Reference.experts(result.kept(t),
                    slot -> slot.kind() == SlotKind.PRIMARY)).toArray(int[][]::new);
            int[][] kept = IntStream.range(0, result.tokens()).mapToObj(t -> Reference.experts(result.kept(t),
                    slot -> true)).toArray(int[][]::new);
            assertThat(Reference.perToken(result, t -> Arrays.stream(primary[t])
                    .filter(e -> !Reference.contains(topK[t], e)).toArray()))
                    .as("primary experts outside the top-k, per token").allMatch(List::isEmpty);
            assertThat(Reference.perToken(result, result::dropped)).as("dropped experts, per token")
                    .isEqualTo(Reference.perToken(result, t -> Arrays.stream(topK[t])
                            .filter(e -> !Reference.contains(kept[t], e)).toArray()));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void weightsAreFiniteAndNonNegative(RandomStep step) {
        step.checkUnder(ALL, (variant, result) ->
                assertThat(weights(result).boxed().toList()).as("weights of every kept slot, token by token")
                        .allMatch(w -> Double.isFinite(w) && w >= 0));
    }

    /** Section 1, "Combine weights": {@code raw}, {@code topk} or {@code kept}, for every slot kind. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void weightsFollowTheWeightsOptionOutsideTheRectifyFamily(RandomStep step) {
        double[][] p = Reference.scores(step);
        step.checkUnder(EnumSet.complementOf(EnumSet.copyOf(RECTIFYING)), (variant, result) -> {
            double[] expected = IntStream.range(0, result.tokens()).mapToObj(t -> {
                List<Slot> kept = result.kept(t);
                double[] row = p[t];
                double denominator = switch (variant.config().weights()) {
                    case RAW -> 1;
                    case TOPK -> Arrays.stream(Reference.topK(variant, row)).mapToDouble(e -> row[e]).sum();
                    case KEPT -> kept.stream().mapToDouble(slot -> row[slot.expert()]).sum();
                };
                return kept.stream().mapToDouble(slot -> row[slot.expert()] / denominator);
            }).flatMapToDouble(weights -> weights).toArray();
            assertThat(weights(result).toArray()).as("weights of every kept slot, token by token")
                    .containsExactly(expected, within(TOLERANCE));
        });
    }

    /** Section 2.6 step 4: a softmax of the logits over the final slots, counting multiplicity. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void rectifyWeightsAreASoftmaxOverTheFinalSlotsCountingMultiplicity(RandomStep step) {
        step.checkUnder(RECTIFYING, (variant, result) -> {
            double[] expected = IntStream.range(0, result.tokens()).mapToObj(t -> {
                List<Slot> kept = result.kept(t);
                double[] a = variant.logits()[t];
                double max = kept.stream().mapToDouble(slot -> a[slot.expert()]).max().orElse(0);
                double sum = kept.stream().mapToDouble(slot -> slot.multiplicity() * Math.exp(a[slot.expert()] - max))
                        .sum();
                return kept.stream().mapToDouble(slot -> slot.multiplicity() * Math.exp(a[slot.expert()] - max) / sum);
            }).flatMapToDouble(weights -> weights).toArray();
            assertThat(weights(result).toArray()).as("weights of every kept slot, token by token")
                    .containsExactly(expected, within(TOLERANCE));
            assertThat(IntStream.range(0, result.tokens()).filter(t -> !result.kept(t).isEmpty())
                    .mapToObj(t -> result.kept(t).stream().mapToDouble(Slot::weight).sum()).toList())
                    .as("weight sums of the tokens with slots").allMatch(sum -> Math.abs(sum - 1) <= TOLERANCE);
        });
    }

    /** Every kept slot's weight, token by token and by expert within a token. */
    private static DoubleStream weights(RoutingResult result) {
        return IntStream.range(0, result.tokens()).mapToObj(result::kept)
                .flatMapToDouble(kept -> kept.stream().mapToDouble(Slot::weight));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void statsAgreeWithTheSlots(RandomStep step) {
        double[][] p = Reference.scores(step);
        step.checkUnder(ALL, (variant, result) -> ExpectedStats.assertMatch(result.stats(),
                ExpectedStats.of(variant, result, p), TOLERANCE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void dispatchListsExactlyTheTokensKeptOnEachExpertInTokenOrder(RandomStep step) {
        step.checkUnder(ALL, (variant, result) -> {
            List<List<Integer>> tokens = new ArrayList<>();
            List<List<Double>> weights = new ArrayList<>();
            for (int e = 0; e < variant.experts(); e++) {
                tokens.add(new ArrayList<>());
                weights.add(new ArrayList<>());
            }
            for (int t = 0; t < result.tokens(); t++) {
                for (Slot slot : result.kept(t)) {
                    tokens.get(slot.expert()).add(t);
                    weights.get(slot.expert()).add(slot.weight());
                }
            }
            ExpertDispatch dispatch = result.dispatch();
            assertThat(dispatch.experts()).isEqualTo(variant.experts());
            assertThat(IntStream.range(0, variant.experts()).mapToObj(e -> Reference.boxed(dispatch.tokens(e))))
                    .as("dispatched tokens, per expert").containsExactlyElementsOf(tokens);
            assertThat(IntStream.range(0, variant.experts())
                    .mapToObj(e -> Arrays.stream(dispatch.weights(e)).boxed().toList()))
                    .as("dispatched weights, per expert").containsExactlyElementsOf(weights);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void sameInputGivesTheSameRoutingAndLeavesTheLogitsAlone(RandomStep step) {
        double[][] before = Arrays.stream(step.logits()).map(double[]::clone).toArray(double[][]::new);
        step.checkUnder(ALL, (variant, result) -> {
            assertThat(variant.route()).isEqualTo(result);
            assertThat(variant.logits()).isDeepEqualTo(before);
        });
    }

    /** Each {@link RandomStep#route()} builds a fresh router, so only the seed can make them agree. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void randomMetricIsReproducibleFromItsSeed(RandomStep step) {
        RandomStep randomDrop = step.with(b -> b.policy(Policy.TOKEN_DROP).metric(Metric.RANDOM));
        assertThat(randomDrop.route()).isEqualTo(randomDrop.route());
    }
}
