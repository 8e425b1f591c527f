package io.moestream.gateway;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AckedOffsetsTest {

    static final TopicPartition P0 = new TopicPartition("prompts", 0);
    static final TopicPartition P1 = new TopicPartition("prompts", 1);

    final AckedOffsets offsets = new AckedOffsets();

    @Test
    void anOffsetAdvancesOnlyPastAcknowledgedRecords() {
        CompletableFuture<Void> first = new CompletableFuture<>();
        CompletableFuture<Void> second = new CompletableFuture<>();
        offsets.track(P0, 10, first);
        offsets.track(P0, 11, second);
        assertThat(offsets.advanced(Set.of(P0))).as("nothing acknowledged").isEmpty();

        second.complete(null);
        assertThat(offsets.advanced(Set.of(P0))).as("the later record's ack does not pass the earlier one").isEmpty();

        first.complete(null);
        assertThat(offsets.advanced(Set.of(P0))).isEqualTo(Map.of(P0, new OffsetAndMetadata(12)));
        assertThat(offsets.advanced(Set.of(P0))).as("committed once").isEmpty();
    }

    @Test
    void eachPartitionAdvancesOnItsOwn() {
        offsets.track(P0, 3, new CompletableFuture<>());
        offsets.track(P1, 7, CompletableFuture.completedFuture(null));
        offsets.track(P0, 4, CompletableFuture.completedFuture(null));
        assertThat(offsets.advanced(Set.of(P0, P1))).isEqualTo(Map.of(P1, new OffsetAndMetadata(8)));
    }

    @Test
    void aFailedSendHoldsItsPartitionBack() {
        offsets.track(P0, 0, CompletableFuture.completedFuture(null));
        offsets.track(P0, 1, CompletableFuture.failedFuture(new IllegalStateException("broker gone")));
        offsets.track(P0, 2, CompletableFuture.completedFuture(null));
        assertThat(offsets.advanced(Set.of(P0))).isEqualTo(Map.of(P0, new OffsetAndMetadata(1)));
        offsets.track(P0, 3, CompletableFuture.completedFuture(null));
        assertThat(offsets.advanced(Set.of(P0))).as("read again after a restart, never skipped").isEmpty();
    }

    @Test
    void partitionsNoLongerAssignedAreLeftToTheirNewOwner() {
        offsets.track(P0, 5, CompletableFuture.completedFuture(null));
        offsets.track(P1, 9, CompletableFuture.completedFuture(null));
        assertThat(offsets.advanced(Set.of(P1))).isEqualTo(Map.of(P1, new OffsetAndMetadata(10)));
        assertThat(offsets.advanced(Set.of(P0, P1))).as("P0 was forgotten when it was revoked").isEmpty();
    }
}
