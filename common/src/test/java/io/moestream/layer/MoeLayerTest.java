package io.moestream.layer;

import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.Slot;
import io.moestream.routing.SlotKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The layer against the definition {@code y_t = sum over kept slots of w * Expert_e(x_t)}, computed
 * here token by token from the routing result, independently of the layer's grouping by expert.
 */
class MoeLayerTest {

    static final int HIDDEN = 6;
    static final int FFN = 5;
    static final int EXPERTS = 4;
    static final int TOKENS = 12;

    final RandomWeights random = new RandomWeights(3);
    final Map<Integer, ExpertWeights> experts = random.experts(EXPERTS, HIDDEN, FFN);
    final float[] gate = random.floats(EXPERTS * HIDDEN, 1.0);
    final float[] x = random.floats(TOKENS * HIDDEN, 1.0);

    @ParameterizedTest
    @EnumSource(Policy.class)
    void outputIsTheWeightedSumOfTheKeptExpertsOutputs(Policy policy) {
        MoeLayer layer = layer(RoutingConfig.builder(policy, 2).capacityFactor(0.75).build(), null, null);
        LayerOutput result = layer.forward(x, TOKENS, 1);
        JavaExpertKernel reference = new JavaExpertKernel(experts);
        for (int t = 0; t < TOKENS; t++) {
            double[] expected = new double[HIDDEN];
            for (Slot slot : result.routing().kept(t)) {
                float[] y = expertOf(reference, slot.expert(), t);
                for (int i = 0; i < HIDDEN; i++) {
                    expected[i] += slot.weight() * y[i];
                }
            }
            for (int i = 0; i < HIDDEN; i++) {
                assertThat((double) result.output()[t * HIDDEN + i]).as("token %d dim %d", t, i)
                        .isCloseTo(expected[i], within(1e-5));
            }
        }
    }

    @Test
    void aTokenWithNoKeptSlotOutputsZero() {
        // Capacity 1 for 12 tokens: most tokens lose their only slot under token-drop.
        MoeLayer layer = layer(RoutingConfig.builder(Policy.TOKEN_DROP, 1).capacityFactor(0.01).build(), null, null);
        LayerOutput result = layer.forward(x, TOKENS, 0);
        int empty = 0;
        for (int t = 0; t < TOKENS; t++) {
            if (result.routing().kept(t).isEmpty()) {
                empty++;
                for (int i = 0; i < HIDDEN; i++) {
                    assertThat(result.output()[t * HIDDEN + i]).isZero();
                }
            }
        }
        assertThat(empty).isEqualTo(result.routing().stats().tokensWithoutSlot()).isGreaterThan(0);
    }

    @Test
    void rectifiedSlotsCountTheirMultiplicityInTheWeights() {
        MoeLayer layer = layer(RoutingConfig.builder(Policy.RECTIFY_IR, 2).capacityFactor(0.25).build(), null, null);
        LayerOutput result = layer.forward(x, TOKENS, 0);
        boolean sawMultiplicityTwo = false;
        for (int t = 0; t < TOKENS; t++) {
            for (Slot slot : result.routing().kept(t)) {
                sawMultiplicityTwo |= slot.kind() == SlotKind.RECTIFIED && slot.multiplicity() == 2;
            }
        }
        assertThat(sawMultiplicityTwo).as("a token that lost both slots").isTrue();
    }

    @Test
    void gatedSharedExpertsAreAddedToEveryTokenEvenWithoutKeptSlots() {
        Map<Integer, ExpertWeights> sharedWeights = random.experts(2, HIDDEN, FFN);
        float[] sharedGate = random.floats(HIDDEN, 1.0);
        RoutingConfig config = RoutingConfig.builder(Policy.TOKEN_DROP, 1).capacityFactor(0.01).build();
        float[] routedOnly = layer(config, null, null).forward(x, TOKENS, 0).output();
        float[] withShared = layer(config, new SharedExperts(2, sharedGate), new JavaExpertKernel(sharedWeights))
                .forward(x, TOKENS, 0).output();
        JavaExpertKernel reference = new JavaExpertKernel(sharedWeights);
        for (int t = 0; t < TOKENS; t++) {
            double scale = 1 / (1 + Math.exp(-GateProjection.dot(x, t * HIDDEN, sharedGate, 0, HIDDEN)));
            float[] s0 = expertOf(reference, 0, t);
            float[] s1 = expertOf(reference, 1, t);
            for (int i = 0; i < HIDDEN; i++) {
                assertThat((double) withShared[t * HIDDEN + i] - routedOnly[t * HIDDEN + i])
                        .isCloseTo(scale * (s0[i] + s1[i]), within(1e-5));
            }
        }
    }

    @Test
    void badHiddenStatesAreRejectedNamingTokenAndDimension() {
        MoeLayer layer = layer(RoutingConfig.builder(Policy.DROPLESS, 2).build(), null, null);
        assertThatThrownBy(() -> layer.forward(new float[HIDDEN * 2 + 1], 2, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected tokens * hidden");
        float[] withNaN = x.clone();
        withNaN[2 * HIDDEN + 3] = Float.NaN;
        assertThatThrownBy(() -> layer.forward(withNaN, TOKENS, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token 2, dimension 3 is NaN");
    }

    /**
     * Experts without a live consumer get no slot: the token's other experts take them, and each token's moved
     * slots are those of its top-k by the raw gate scores (computed here) that were unavailable.
     */
    @Test
    void unavailableExpertsAreRoutedAroundAndTheirSlotsCounted() {
        int[] down = {1};
        List<Integer> called = new ArrayList<>();
        LocalExperts local = new LocalExperts(Map.of(0, new LocalExperts.LayerKernels(new JavaExpertKernel(experts), null)));
        ExpertExecutor executor = new ExpertExecutor() {
            @Override
            public float[][] compute(int layer, float[] states, int hidden, List<ExpertCall> calls) {
                calls.forEach(c -> called.add(c.expert()));
                return local.compute(layer, states, hidden, calls);
            }

            @Override
            public int[] unavailable() {
                return down;
            }
        };
        Router router = new Router(RoutingConfig.builder(Policy.DROPLESS, 2).build(), Placement.contiguous(EXPERTS, 2));
        MoeLayer layer = new MoeLayer(0, HIDDEN, new GateProjection(HIDDEN, EXPERTS, gate), router, executor, null, 1.0);

        LayerOutput result = layer.forward(x, TOKENS, 0);

        assertThat(called).isNotEmpty().doesNotContain(1);
        int movedTokens = 0;
        for (int t = 0; t < TOKENS; t++) {
            assertThat(result.routing().kept(t)).extracting(Slot::expert).doesNotContain(1).hasSize(2);
            double[] scores = new double[EXPERTS];
            for (int e = 0; e < EXPERTS; e++) {
                for (int i = 0; i < HIDDEN; i++) {
                    scores[e] += gate[e * HIDDEN + i] * x[t * HIDDEN + i];
                }
            }
            long above = java.util.stream.IntStream.range(0, EXPERTS).filter(e -> scores[e] > scores[1]).count();
            int expected = above < 2 ? 1 : 0;
            assertThat(result.avoided().movedSlots()[t]).as("token %d", t).isEqualTo(expected);
            movedTokens += expected;
        }
        assertThat(result.avoided().experts()).containsExactly(1);
        assertThat(movedTokens).as("tokens whose top-2 held expert 1").isPositive();
    }

    @Test
    void withFewerThanTopKExpertsLeftNoneIsAvoided() {
        LocalExperts local = new LocalExperts(Map.of(0, new LocalExperts.LayerKernels(new JavaExpertKernel(experts), null)));
        ExpertExecutor mostlyDown = new ExpertExecutor() {
            @Override
            public float[][] compute(int layer, float[] states, int hidden, List<ExpertCall> calls) {
                return local.compute(layer, states, hidden, calls);
            }

            @Override
            public int[] unavailable() {
                return new int[] {0, 1, 2};
            }
        };
        Router router = new Router(RoutingConfig.builder(Policy.DROPLESS, 2).build(), Placement.contiguous(EXPERTS, 2));
        LayerOutput result = new MoeLayer(0, HIDDEN, new GateProjection(HIDDEN, EXPERTS, gate), router, mostlyDown, null,
                1.0).forward(x, TOKENS, 0);
        assertThat(result.avoided().isEmpty()).isTrue();
        assertThat(result.routing().kept(0)).hasSize(2);
    }

    private MoeLayer layer(RoutingConfig config, SharedExperts shared, JavaExpertKernel sharedKernel) {
        Router router = new Router(config, Placement.contiguous(EXPERTS, 2));
        return new MoeLayer(HIDDEN, new GateProjection(HIDDEN, EXPERTS, gate), router, new JavaExpertKernel(experts),
                shared, sharedKernel);
    }

    private float[] expertOf(JavaExpertKernel kernel, int expert, int token) {
        float[] row = new float[HIDDEN];
        System.arraycopy(x, token * HIDDEN, row, 0, HIDDEN);
        float[] y = new float[HIDDEN];
        kernel.forward(expert, row, 1, y);
        return y;
    }
}
