package io.moestream.gateway;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which offsets a consumer may commit when what it made of each record is sent asynchronously: a
 * partition's offset advances only past records whose sends Kafka acknowledged. A prompt's token
 * batches linger before they are sent, so committing on handling alone would lose the prompt to a
 * kill between the commit and the send. A send that fails holds its partition's offset back, so the
 * record is read again after the next restart or rebalance; a request id gets one result, so
 * reading it twice is safe.
 */
final class AckedOffsets {

    private static final Logger LOG = LoggerFactory.getLogger(AckedOffsets.class);

    private final Map<TopicPartition, Partition> partitions = new HashMap<>();

    /** Records that the record at {@code offset} was handled and is safe once {@code acked} completes. */
    synchronized void track(TopicPartition partition, long offset, CompletionStage<?> acked) {
        Partition tracked = partitions.computeIfAbsent(partition, p -> new Partition(offset));
        tracked.handledUpTo = Math.max(tracked.handledUpTo, offset + 1);
        tracked.pending.add(offset);
        acked.whenComplete((ignored, error) -> {
            if (error == null) {
                acknowledged(partition, offset);
            } else {
                LOG.error("the record at {}@{} was handled but its sends failed; {}'s committed offset stays at or"
                        + " before it until a restart or rebalance reads it again", partition, offset, partition, error);
            }
        });
    }

    private synchronized void acknowledged(TopicPartition partition, long offset) {
        Partition tracked = partitions.get(partition);
        if (tracked != null) {
            tracked.pending.remove(offset);
        }
    }

    /**
     * The offsets to commit for the assigned partitions, each only where it advanced since the last
     * call; partitions no longer assigned are forgotten, their records being the new owner's.
     */
    synchronized Map<TopicPartition, OffsetAndMetadata> advanced(Set<TopicPartition> assigned) {
        partitions.keySet().retainAll(assigned);
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        partitions.forEach((partition, tracked) -> {
            long safe = tracked.pending.isEmpty() ? tracked.handledUpTo : tracked.pending.first();
            if (safe > tracked.committed) {
                tracked.committed = safe;
                commit.put(partition, new OffsetAndMetadata(safe));
            }
        });
        return commit;
    }

    private static final class Partition {
        final TreeSet<Long> pending = new TreeSet<>();
        long handledUpTo;
        /** Starts where this consumer started reading: the group's committed offset, or where reset put it. */
        long committed;

        Partition(long firstOffset) {
            handledUpTo = firstOffset;
            committed = firstOffset;
        }
    }
}
