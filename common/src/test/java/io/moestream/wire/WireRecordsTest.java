package io.moestream.wire;

import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.RoutingResult;
import io.moestream.routing.Slot;
import io.moestream.routing.SyntheticLogits;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class WireRecordsTest {

    static final float[] STATES = {1.5f, -2.25f, 0f, 3.1415927f, -0.001f, 65504f};

    static TokenBatch batch() {
        return new TokenBatch("gw-r1-7", 1, 1234L, List.of(new RequestSpan("a", 0, 2, 0, 2),
                new RequestSpan("b", 2, 1, 4, 5)), 2, STATES);
    }

    @Test
    void tokenBatchRoundTripsExactlyOnF32() {
        TokenBatch decoded = TokenBatch.fromBytes(batch().toBytes(WireType.F32));
        assertThat(decoded.batchId()).isEqualTo("gw-r1-7");
        assertThat(decoded.sourceRank()).isEqualTo(1);
        assertThat(decoded.createdAtMillis()).isEqualTo(1234L);
        assertThat(decoded.requests()).isEqualTo(batch().requests());
        assertThat(decoded.tokens()).isEqualTo(3);
        assertThat(decoded.states()).containsExactly(STATES);
    }

    @ParameterizedTest
    @EnumSource(value = WireType.class, names = {"F16", "BF16"})
    void halfWireTypesHalveTheStatesAndKeepTheirPrecision(WireType type) {
        byte[] f32 = batch().toBytes(WireType.F32);
        byte[] half = batch().toBytes(type);
        assertThat(f32.length - half.length).isEqualTo(STATES.length * 2);
        float[] decoded = TokenBatch.fromBytes(half).states();
        double tolerance = type == WireType.F16 ? 1e-3 : 8e-3;
        for (int i = 0; i < STATES.length; i++) {
            assertThat((double) decoded[i]).isCloseTo(STATES[i], within(Math.abs(STATES[i]) * tolerance + 1e-7));
        }
    }

    @Test
    void expertRowsRoundTripAndAreOneKindOfBatchPart() {
        ExpertRows rows = new ExpertRows("b1", 0, ExpertRows.sharedExpertId(0), new int[] {0, 2, 5}, 2, STATES, 99L);
        BatchPart part = BatchPart.fromBytes(rows.toBytes(WireType.F32));
        assertThat(part).isInstanceOf(ExpertRows.class);
        ExpertRows decoded = (ExpertRows) part;
        assertThat(decoded.expert()).isEqualTo(-1);
        assertThat(decoded.tokens()).containsExactly(0, 2, 5);
        assertThat(decoded.rows()).containsExactly(STATES);
        assertThat(decoded.computeNanos()).isEqualTo(99L);
    }

    @Test
    void manifestCarriesTheRoutingResultWithoutRecomputation() {
        double[][] logits = new SyntheticLogits(8, 1.0, 3).nextStep(3);
        RoutingResult routing = new Router(RoutingConfig.builder(Policy.RECTIFY, 2).capacityFactor(0.5).build(),
                Placement.contiguous(8, 4)).route(logits, 1);
        RoutingManifest manifest = RoutingManifest.of(batch(), routing, "rectify", 0.5, 1, new double[] {.1, .2, .3});
        BatchPart part = BatchPart.fromBytes(manifest.toBytes());
        assertThat(part).isInstanceOf(RoutingManifest.class);
        RoutingManifest decoded = (RoutingManifest) part;
        assertThat(decoded.capacity()).isEqualTo(routing.capacity());
        assertThat(decoded.policy()).isEqualTo("rectify");
        assertThat(decoded.sharedScale()).containsExactly(.1, .2, .3);
        for (int t = 0; t < 3; t++) {
            List<Slot> kept = routing.kept(t);
            assertThat(decoded.slotStart()[t + 1] - decoded.slotStart()[t]).isEqualTo(kept.size());
            for (int i = 0; i < kept.size(); i++) {
                int slot = decoded.slotStart()[t] + i;
                assertThat(decoded.slotExpert()[slot]).isEqualTo(kept.get(i).expert());
                assertThat(decoded.kind(slot)).isEqualTo(kept.get(i).kind());
                assertThat(decoded.slotWeight()[slot]).isEqualTo(kept.get(i).weight());
            }
            assertThat(decoded.droppedCount()[t]).isEqualTo(routing.dropped(t).length);
        }
        int[] expected = Arrays.stream(decoded.slotExpert()).distinct().sorted().toArray();
        assertThat(decoded.expertsWithRows()).startsWith(-1).endsWith(expected);
    }

    @Test
    void malformedRecordsFailSayingWhatWasWrong() {
        byte[] good = batch().toBytes(WireType.F32);
        assertThatThrownBy(() -> TokenBatch.fromBytes(Arrays.copyOf(good, good.length - 3)))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> TokenBatch.fromBytes("{\"id\": 1}".getBytes()))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("magic bytes 'MS' missing");
        byte[] future = good.clone();
        future[2] = 9;
        assertThatThrownBy(() -> TokenBatch.fromBytes(future))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("format version 9");
        assertThatThrownBy(() -> ExpertRows.fromBytes(good))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("the record is a token-batch");
        byte[] trailing = Arrays.copyOf(good, good.length + 2);
        assertThatThrownBy(() -> TokenBatch.fromBytes(trailing))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("2 unexpected trailing bytes");
        assertThatThrownBy(() -> BatchPart.fromBytes(null)).isInstanceOf(WireFormatException.class);
    }

    @Test
    void manifestsThatReassemblyCouldNotUseFailToDecode() {
        List<RequestSpan> spans = List.of(new RequestSpan("a", 0, 2, 0, 2));
        RoutingManifest decreasing = new RoutingManifest("m", 0, 0, spans, 2, "token-drop", Double.NaN, -1,
                new int[] {0, 2, 1}, new int[] {3}, new int[1], new double[] {.5}, new int[2], 0, new double[0]);
        assertThatThrownBy(() -> RoutingManifest.fromBytes(decreasing.toBytes()))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("token 1 has slots 2..1");
        RoutingManifest nan = new RoutingManifest("m", 0, 0, spans, 2, "token-drop", Double.NaN, -1,
                new int[] {0, 1, 2}, new int[] {3, 4}, new int[2], new double[] {.5, Double.NaN}, new int[2], 0,
                new double[0]);
        assertThatThrownBy(() -> BatchPart.fromBytes(nan.toBytes()))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("slot weight 1 is NaN");
        RoutingManifest infiniteScale = new RoutingManifest("m", 0, 0, spans, 2, "token-drop", Double.NaN, -1,
                new int[] {0, 1, 2}, new int[] {3, 4}, new int[2], new double[] {.5, .5}, new int[2], 1,
                new double[] {1, Double.POSITIVE_INFINITY});
        assertThatThrownBy(() -> BatchPart.fromBytes(infiniteScale.toBytes()))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("shared-expert scale 1 is Infinity");
        RoutingManifest negativeDrops = new RoutingManifest("m", 0, 0, spans, 2, "token-drop", Double.NaN, -1,
                new int[] {0, 1, 2}, new int[] {3, 4}, new int[2], new double[] {.5, .5}, new int[] {0, -4}, 0,
                new double[0]);
        assertThatThrownBy(() -> BatchPart.fromBytes(negativeDrops.toBytes()))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("token 1 has slots 1..2 and -4 dropped");
    }

    @Test
    void inconsistentRecordsAreRefusedWhenBuilt() {
        assertThatThrownBy(() -> new TokenBatch("b", 0, 0, List.of(), 4, new float[6]))
                .hasMessageContaining("not a whole number of rows of 4");
        assertThatThrownBy(() -> new RequestSpan("r", 0, 3, 2, 4)).hasMessageContaining("request r");
        assertThatThrownBy(() -> new ExpertRows("b", 0, 1, new int[] {0, 1}, 2, new float[3], 0))
                .hasMessageContaining("3 values for 2 rows of 2");
    }
}
