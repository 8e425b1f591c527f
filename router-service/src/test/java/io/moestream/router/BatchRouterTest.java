package io.moestream.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.moestream.generate.Preset;
import io.moestream.layer.GateProjection;
import io.moestream.layer.MoeLayers;
import io.moestream.model.MoeLayerWeights;
import io.moestream.routing.ExpertDispatch;
import io.moestream.routing.Placement;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.RoutingResult;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.TokenBatch;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The router's per-batch computation without Kafka, against the in-process gate and router. */
class BatchRouterTest {

    private static final int[] NONE = new int[0];

    @TempDir
    Path dir;

    @Test
    void eachExpertGetsExactlyItsDispatchedRowsAndNoRecordWithoutRows() {
        MoeLayerWeights weights = TestModels.gate(TestModels.generate(Preset.MIXTRAL_LIKE, dir));
        Router router = router(weights, 0.5);
        TokenBatch batch = TestModels.batch("b", 1, 16, weights.hidden(), 7);

        RoutedBatch routed = new BatchRouter(weights).route(batch, router, NONE);

        GateProjection gate = new GateProjection(weights.hidden(), weights.numExperts(), weights.gate());
        RoutingResult expected = router.route(gate.logits(batch.states(), 16), 1);
        assertThat(routed.routing()).isEqualTo(expected);
        ExpertDispatch dispatch = expected.dispatch();
        int[] withRows = IntStream.range(0, weights.numExperts()).filter(e -> dispatch.tokens(e).length > 0).toArray();
        assertThat(routed.dispatches()).extracting(ExpertRows::expert).containsExactly(box(withRows));
        for (ExpertRows rows : routed.dispatches()) {
            int[] tokens = dispatch.tokens(rows.expert());
            assertThat(rows.tokens()).containsExactly(tokens);
            for (int i = 0; i < tokens.length; i++) {
                assertThat(Arrays.copyOfRange(rows.rows(), i * rows.hidden(), (i + 1) * rows.hidden())).containsExactly(
                        Arrays.copyOfRange(batch.states(), tokens[i] * rows.hidden(), (tokens[i] + 1) * rows.hidden()));
            }
        }
        assertThat(routed.manifest().sharedExperts()).isZero();
        assertThat(routed.manifest().capacityFactor()).isEqualTo(0.5);
    }

    @Test
    void sharedExpertsGetEveryRowAndTheQwenScaleIsTheSigmoidOfTheSharedGate() {
        MoeLayerWeights weights = TestModels.gate(TestModels.generate(Preset.QWEN_MOE_LIKE, dir));
        TokenBatch batch = TestModels.batch("q", 0, 8, weights.hidden(), 11);

        RoutedBatch routed = new BatchRouter(weights).route(batch, router(weights, 0), NONE);

        ExpertRows shared = routed.dispatches().get(routed.dispatches().size() - 1);
        assertThat(shared.expert()).isEqualTo(ExpertRows.sharedExpertId(0));
        assertThat(shared.tokens()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(shared.rows()).containsExactly(batch.states());
        float[] g = weights.sharedExpertGate().orElseThrow();
        for (int t = 0; t < 8; t++) {
            double dot = 0;
            for (int i = 0; i < weights.hidden(); i++) {
                dot += (double) batch.states()[t * weights.hidden() + i] * g[i];
            }
            assertThat(routed.manifest().sharedScale()[t]).isCloseTo(1 / (1 + Math.exp(-dot)), within(1e-12));
        }
        assertThat(routed.manifest().capacityFactor()).isNaN();
    }

    @Test
    void refusesAWrongHiddenSizeAndNonFiniteStatesNamingThePlace() {
        MoeLayerWeights weights = TestModels.gate(TestModels.generate(Preset.MIXTRAL_LIKE, dir));
        BatchRouter batchRouter = new BatchRouter(weights);
        Router router = router(weights, 1);
        TokenBatch narrow = TestModels.batch("n", 0, 2, weights.hidden() / 2, 1);
        TokenBatch nan = TestModels.batch("x", 0, 3, weights.hidden(), 1);
        nan.states()[2 * weights.hidden() + 5] = Float.NaN;

        assertThatThrownBy(() -> batchRouter.route(narrow, router, NONE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hidden size " + weights.hidden() / 2);
        assertThatThrownBy(() -> batchRouter.route(nan, router, NONE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token 2, dimension 5 is NaN");
        assertThatThrownBy(() -> batchRouter.route(TestModels.batch("r", 3, 2, weights.hidden(), 1), router, NONE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesTokensOfNoRequestAndOverlappingSpans() {
        MoeLayerWeights weights = TestModels.gate(TestModels.generate(Preset.MIXTRAL_LIKE, dir));
        BatchRouter batchRouter = new BatchRouter(weights);
        Router router = router(weights, 1);
        float[] states = TestModels.batch("s", 0, 4, weights.hidden(), 3).states();
        TokenBatch none = new TokenBatch("none", 0, 0, List.of(), weights.hidden(), states);
        TokenBatch gap = new TokenBatch("gap", 0, 0, List.of(new RequestSpan("a", 0, 1, 0, 1),
                new RequestSpan("b", 2, 2, 0, 2)), weights.hidden(), states);
        TokenBatch overlap = new TokenBatch("overlap", 0, 0, List.of(new RequestSpan("a", 0, 3, 0, 3),
                new RequestSpan("b", 2, 2, 0, 2)), weights.hidden(), states);

        assertThatThrownBy(() -> batchRouter.route(none, router, NONE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("batch none: its request spans cover 0 of its 4 tokens");
        assertThatThrownBy(() -> batchRouter.route(gap, router, NONE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("request b starts at token 2, expected 1");
        assertThatThrownBy(() -> batchRouter.route(overlap, router, NONE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("request b starts at token 2, expected 3");
    }

    @Test
    void expertsWithoutAConsumerGetNoSlotAndTheSlotsMovedOffThemAreCounted() {
        MoeLayerWeights weights = TestModels.gate(TestModels.generate(Preset.MIXTRAL_LIKE, dir));
        BatchRouter batchRouter = new BatchRouter(weights);
        Router router = router(weights, 0);
        TokenBatch batch = TestModels.batch("u", 0, 16, weights.hidden(), 5);
        int[] secondRank = {4, 5, 6, 7};

        RoutedBatch everyExpert = batchRouter.route(batch, router, NONE);
        RoutedBatch around = batchRouter.route(batch, router, secondRank);

        int moved = 0;
        for (int t = 0; t < 16; t++) {
            moved += (int) everyExpert.routing().kept(t).stream().filter(slot -> slot.expert() >= 4).count();
            assertThat(around.routing().kept(t)).as("slots of token %d", t).hasSize(router.config().topK())
                    .allMatch(slot -> slot.expert() < 4);
        }
        assertThat(moved).isPositive();
        assertThat(around.dispatches()).extracting(ExpertRows::expert).allMatch(e -> e < 4);
        assertThat(around.unavailable().experts()).containsExactly(secondRank);
        assertThat(around.unavailable().slots()).containsExactly(moved);
        assertThat(Arrays.stream(around.movedFrom()).sum()).isEqualTo(moved);
        assertThat(everyExpert.unavailable().isEmpty()).isTrue();

        RoutedBatch tooFewLeft = batchRouter.route(batch, router, new int[] {1, 2, 3, 4, 5, 6, 7});
        assertThat(tooFewLeft.routing()).as("fewer than top-k experts left: routed as usual")
                .isEqualTo(everyExpert.routing());
        assertThat(tooFewLeft.unavailable().isEmpty()).isTrue();
    }

    private static Router router(MoeLayerWeights weights, double capacityFactor) {
        RoutingConfig config = MoeLayers.defaultRouting(weights).toBuilder().capacityFactor(capacityFactor).build();
        return new Router(config, Placement.contiguous(weights.numExperts(), 2));
    }

    private static Integer[] box(int[] values) {
        return Arrays.stream(values).boxed().toArray(Integer[]::new);
    }
}
