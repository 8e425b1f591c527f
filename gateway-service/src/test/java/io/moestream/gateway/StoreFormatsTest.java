package io.moestream.gateway;

import io.moestream.layer.BatchReassembly.Counts;
import io.moestream.pipeline.UnavailableExperts;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What reassembly keeps in its stores and topics reads back as written, so a restart resumes it. */
class StoreFormatsTest {

    @Test
    void requestPartsRoundTrip() {
        RequestPart.Registration registration = new RequestPart.Registration("r1", 123L, true, 5, 2, "gw");
        RequestPart.Piece piece = new RequestPart.Piece("r1", "gw-r0-3", 3, 2, 5, 2, "token-drop", 1.25,
                new Counts(3, 1, 0, 1, 0, 0), "expert 4 did not answer within 10 ms", new int[] {-1, 4}, 2,
                new float[] {1, 2, 3, 4});

        assertThat(RequestPart.fromBytes(registration.toBytes())).isEqualTo(registration);
        RequestPart.Piece back = (RequestPart.Piece) RequestPart.fromBytes(piece.toBytes());
        assertThat(back).usingRecursiveComparison().isEqualTo(piece);
        assertThatThrownBy(() -> RequestPart.fromBytes(new byte[] {2, 1})).hasMessage("truncated request part");
    }

    @Test
    void aRequestStateResumesWhereItStopped() {
        RequestState state = new RequestState(10L);
        state.register(new RequestPart.Registration("r1", 100L, true, 3, 2, "gw"));
        state.add(new RequestPart.Piece("r1", "gw-r0-0", 0, 2, 3, 2, "rectify", Double.NaN, new Counts(4, 0, 0, 0, 1, 0),
                "late", new int[] {2}, 1, new float[] {1, 2, 3, 4}));

        assertThat(RequestState.startMillis(state.toBytes())).isEqualTo(100L);
        assertThat(RequestState.startMillis(new RequestState(10L).toBytes())).isEqualTo(10L);
        RequestState restored = RequestState.fromBytes(state.toBytes());
        assertThat(restored.isDone()).isFalse();
        assertThat(restored.add(new RequestPart.Piece("r1", "gw2-r0-0", 2, 1, 3, 2, "rectify", Double.NaN,
                new Counts(2, 0, 0, 0, 0, 0), "", new int[0], 0, new float[] {7, 8}))).as("a piece of another copy").isFalse();
        restored.add(new RequestPart.Piece("r1", "gw-r1-0", 2, 1, 3, 2, "rectify", Double.NaN, new Counts(2, 0, 0, 0, 0, 1),
                "", new int[0], 0, new float[] {5, 6}));
        assertThat(restored.isDone()).isTrue();
        assertThat(restored.outputs()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(restored.counts()).isEqualTo(new Counts(6, 0, 0, 0, 1, 1));
        assertThat(restored.degradedReasons()).containsExactly("late");
        assertThat(restored.missingExperts()).containsExactly(2);
        assertThat(restored.unavailableSlots()).isEqualTo(1);
        assertThat(restored.startMillis()).isEqualTo(100L);
    }

    @Test
    void aRegistrationAndAStateStoredBeforeAttemptsWereKeptStillReadBack() {
        byte[] registration = new RequestPart.Registration("r1", 100L, true, 3, 2, "").toBytes();
        RequestState state = new RequestState(10L);
        state.add(new RequestPart.Piece("r1", "gw-r0-0", 0, 2, 3, 2, "rectify", Double.NaN,
                new Counts(4, 0, 0, 0, 0, 0), "", new int[0], 0, new float[] {1, 2, 3, 4}));
        byte[] ownerless = new RequestState(10L).toBytes();

        RequestState before = RequestState.fromBytes(Arrays.copyOf(ownerless, ownerless.length - Integer.BYTES));
        before.register((RequestPart.Registration) RequestPart.fromBytes(
                Arrays.copyOf(registration, registration.length - Integer.BYTES)));
        state.register((RequestPart.Registration) RequestPart.fromBytes(registration));

        assertThat(before.isRegistered()).isTrue();
        assertThat(state.received()).as("pieces kept by a registration without attempt").isEqualTo(2);
    }

    @Test
    void aPendingBatchHeaderAndItsPartsReadBackAsWritten() {
        PendingBatch header = PendingBatch.startedAt(7L).withPart().withManifest(9L, 3, UnavailableExperts.NONE).withAnswered(5)
                .withAnswered(-1).withAnswered(5).withPart();

        PendingBatch back = PendingBatch.fromBytes(header.toBytes());
        UnavailableExperts note = new UnavailableExperts(new int[] {4, 7}, new int[] {0, 3});
        PendingBatch noted = PendingBatch.startedAt(7L).withManifest(9L, 2, note);
        assertThat(PendingBatch.fromBytes(noted.toBytes()).unavailable()).usingRecursiveComparison().isEqualTo(note);
        byte[] unnoted = PendingBatch.startedAt(7L).toBytes();
        assertThat(PendingBatch.fromBytes(Arrays.copyOf(unnoted, unnoted.length - 8)).unavailable().isEmpty())
                .as("a header stored before notes were kept").isTrue();
        assertThat(back.sinceMillis()).isEqualTo(9L).isEqualTo(PendingBatch.sinceMillis(header.toBytes()));
        assertThat(back.parts()).isEqualTo(3);
        assertThat(back.manifestPart()).isEqualTo(1);
        assertThat(back.answered()).containsExactly(-1, 5);
        assertThat(back.isComplete()).isFalse();
        assertThat(back.withAnswered(2).isComplete()).isTrue();
        assertThat(PendingBatch.startedAt(1L).hasManifest()).isFalse();

        PendingBatch.Received part = PendingBatch.Received.fromBytes(
                new PendingBatch.Received(1, 42L, new byte[] {'M', 'S', 1, 2}).toBytes());
        assertThat(part.value()).containsExactly('M', 'S', 1, 2);
        assertThat(part.offset()).isEqualTo(42L);
        assertThat(part.partition()).isEqualTo(1);
        assertThat(PendingBatch.Received.fromBytes(new PendingBatch.Received(0, 43L, new byte[0]).toBytes()).value())
                .isEmpty();
        assertThat(PendingBatch.partKey("b", 10)).startsWith(PendingBatch.partPrefix("b"))
                .isGreaterThan(PendingBatch.partKey("b", 9)).doesNotStartWith(PendingBatch.partPrefix("b1"));
    }
}
