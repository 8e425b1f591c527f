package io.moestream.gateway;

import io.moestream.layer.BatchReassembly.Counts;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What reassembly keeps in its stores and topics reads back as written, so a restart resumes it. */
class StoreFormatsTest {

    @Test
    void requestPartsRoundTrip() {
        RequestPart.Registration registration = new RequestPart.Registration("r1", 123L, true, 5, 2);
        RequestPart.Piece piece = new RequestPart.Piece("r1", "gw-r0-3", 3, 2, 5, 2, "token-drop", 1.25,
                new Counts(3, 1, 0, 1, 0, 0), "expert 4 did not answer within 10 ms", new float[] {1, 2, 3, 4});

        assertThat(RequestPart.fromBytes(registration.toBytes())).isEqualTo(registration);
        RequestPart.Piece back = (RequestPart.Piece) RequestPart.fromBytes(piece.toBytes());
        assertThat(back).usingRecursiveComparison().isEqualTo(piece);
        assertThatThrownBy(() -> RequestPart.fromBytes(new byte[] {2, 1})).hasMessage("truncated request part");
    }

    @Test
    void aRequestStateResumesWhereItStopped() {
        RequestState state = new RequestState(10L);
        state.register(new RequestPart.Registration("r1", 100L, true, 3, 2));
        state.add(new RequestPart.Piece("r1", "b", 0, 2, 3, 2, "rectify", Double.NaN, new Counts(4, 0, 0, 0, 1, 0),
                "late", new float[] {1, 2, 3, 4}));

        assertThat(RequestState.startMillis(state.toBytes())).isEqualTo(100L);
        assertThat(RequestState.startMillis(new RequestState(10L).toBytes())).isEqualTo(10L);
        RequestState restored = RequestState.fromBytes(state.toBytes());
        assertThat(restored.isDone()).isFalse();
        restored.add(new RequestPart.Piece("r1", "c", 2, 1, 3, 2, "rectify", Double.NaN, new Counts(2, 0, 0, 0, 0, 1),
                "", new float[] {5, 6}));
        assertThat(restored.isDone()).isTrue();
        assertThat(restored.outputs()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(restored.counts()).isEqualTo(new Counts(6, 0, 0, 0, 1, 1));
        assertThat(restored.degradedReasons()).containsExactly("late");
        assertThat(restored.startMillis()).isEqualTo(100L);
    }

    @Test
    void aPendingBatchKeepsItsRecordsAsReceived() {
        PendingBatch batch = new PendingBatch(7L, List.of())
                .with(new PendingBatch.Received(1, 42L, new byte[] {'M', 'S', 1, 2}))
                .with(new PendingBatch.Received(0, 43L, new byte[0]));

        PendingBatch back = PendingBatch.fromBytes(batch.toBytes());
        assertThat(back.sinceMillis()).isEqualTo(7L).isEqualTo(PendingBatch.sinceMillis(batch.toBytes()));
        assertThat(back.parts()).hasSize(2);
        assertThat(back.parts().get(0).value()).containsExactly('M', 'S', 1, 2);
        assertThat(back.parts().get(0).offset()).isEqualTo(42L);
        assertThat(back.parts().get(1).partition()).isZero();
    }
}
