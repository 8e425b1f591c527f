package io.moestream.chaos;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * What the transaction coordinators and the partition leaders say about open transactions: which of a
 * service's transactional ids has one, and which records it holds back from read_committed readers. A
 * partition leader knows, per producer, the first offset of its open transaction; everything from
 * there to the partition's end (its high watermark, the read_uncommitted end) is past the last stable
 * offset (the read_committed end).
 */
final class TransactionProbe {

    /**
     * An ongoing transaction.
     *
     * @param uncommitted records from the transaction's first offset to the end, summed over the partitions
     *        where it has written: the read_uncommitted end's lead over the read_committed end it causes;
     *        -1 when not measured
     * @param seenNanos when Kafka's answer arrived (System.nanoTime)
     */
    record Open(String transactionalId, long producerId, int producerEpoch, long uncommitted, long seenNanos) {

        boolean same(Open other) {
            return transactionalId.equals(other.transactionalId) && producerId == other.producerId
                    && producerEpoch == other.producerEpoch;
        }
    }

    static final Duration RECENT = Duration.ofSeconds(3);

    private final Admin admin;

    TransactionProbe(Admin admin) {
        this.admin = admin;
    }

    /** The transactional ids with {@code prefix} the coordinators know, by producer id; empty without an answer. */
    Map<Long, String> transactionalIds(String prefix) {
        Collection<TransactionListing> listings = KafkaCluster.tryGet(() -> admin.listTransactions().all().get());
        return listings == null ? Map.of() : listings.stream().filter(l -> l.transactionalId().startsWith(prefix))
                .collect(Collectors.toMap(TransactionListing::producerId, TransactionListing::transactionalId,
                        (a, b) -> a));
    }

    /**
     * The partitions of the topics that are not Kafka's own, where the services' transactions write; only
     * those led by node {@code leader} unless it is negative.
     */
    List<TopicPartition> outputPartitions(int leader) {
        Set<String> topics = KafkaCluster.tryGet(() -> admin.listTopics().names().get());
        Map<String, TopicDescription> described = topics == null ? null
                : KafkaCluster.tryGet(() -> admin.describeTopics(topics).allTopicNames().get());
        return described == null ? List.of() : described.values().stream().flatMap(t -> t.partitions().stream()
                .filter(p -> leader < 0 || (p.leader() != null && p.leader().id() == leader))
                .map(p -> new TopicPartition(t.name(), p.partition()))).toList();
    }

    /**
     * A transaction of one of {@code producers} that has written records to {@code partitions} lately and
     * not ended yet, as the partition leaders know it: one request per leader, so that a kill can follow
     * the sighting within milliseconds. A transaction whose last write is older than {@link #RECENT} is
     * left out: it may belong to a predecessor that died with it open. Null when there is none or Kafka
     * does not answer.
     */
    Open writing(Map<Long, String> producers, Collection<TopicPartition> partitions) {
        Map<TopicPartition, PartitionProducerState> states = KafkaCluster.tryGet(
                () -> admin.describeProducers(partitions).all().get());
        if (states == null) {
            return null;
        }
        long recent = System.currentTimeMillis() - RECENT.toMillis();
        return states.values().stream().flatMap(s -> s.activeProducers().stream())
                .filter(p -> producers.containsKey(p.producerId()) && p.currentTransactionStartOffset().isPresent()
                        && p.lastTimestamp() >= recent)
                .findFirst().map(p -> new Open(producers.get(p.producerId()), p.producerId(), p.producerEpoch(), -1,
                        System.nanoTime()))
                .orElse(null);
    }

    /** Those of {@code transactionalIds} ongoing now, measured. Empty when Kafka does not answer. */
    List<Open> measured(List<String> transactionalIds) {
        Map<String, TransactionDescription> described = KafkaCluster.tryGet(
                () -> admin.describeTransactions(transactionalIds).all().get());
        if (described == null) {
            return List.of();
        }
        Map<String, TransactionDescription> ongoing = described.entrySet().stream()
                .filter(e -> e.getValue().state() == TransactionState.ONGOING)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        Set<TopicPartition> partitions = ongoing.values().stream().flatMap(d -> d.topicPartitions().stream())
                .collect(Collectors.toSet());
        if (partitions.isEmpty()) {
            return List.of();
        }
        Map<TopicPartition, PartitionProducerState> producers = KafkaCluster.tryGet(
                () -> admin.describeProducers(partitions).all().get());
        Map<TopicPartition, Long> ends = endOffsets(partitions, IsolationLevel.READ_UNCOMMITTED);
        if (producers == null || ends == null) {
            return List.of();
        }
        return ongoing.entrySet().stream().map(e -> {
            long producerId = e.getValue().producerId();
            long uncommitted = 0;
            for (TopicPartition partition : e.getValue().topicPartitions()) {
                PartitionProducerState state = producers.get(partition);
                for (ProducerState producer : state == null ? List.<ProducerState>of() : state.activeProducers()) {
                    if (producer.producerId() == producerId && producer.currentTransactionStartOffset().isPresent()) {
                        uncommitted += ends.get(partition) - producer.currentTransactionStartOffset().getAsLong();
                    }
                }
            }
            return new Open(e.getKey(), producerId, e.getValue().producerEpoch(), uncommitted, System.nanoTime());
        }).toList();
    }

    /** The state and producer epoch of {@code transactionalId} now, as text. */
    String state(String transactionalId) {
        TransactionDescription now = KafkaCluster.tryGet(() -> admin.describeTransactions(List.of(transactionalId))
                .all().get().get(transactionalId));
        return now == null ? "unknown (Kafka did not answer)" : now.state() + " at epoch " + now.producerEpoch();
    }

    /**
     * The partitions of every topic, internal ones included, whose read_uncommitted end is ahead of
     * their read_committed end, with the difference; null when Kafka does not answer.
     */
    Map<TopicPartition, Long> openPartitions() {
        Set<String> topics = KafkaCluster.tryGet(() -> admin.listTopics(new ListTopicsOptions().listInternal(true))
                .names().get());
        Map<String, TopicDescription> described = topics == null ? null
                : KafkaCluster.tryGet(() -> admin.describeTopics(topics).allTopicNames().get());
        if (described == null) {
            return null;
        }
        List<TopicPartition> partitions = described.values().stream().flatMap(t -> t.partitions().stream()
                .map(p -> new TopicPartition(t.name(), p.partition()))).toList();
        // The committed end first: it never passes the uncommitted end read after it.
        Map<TopicPartition, Long> committed = endOffsets(partitions, IsolationLevel.READ_COMMITTED);
        Map<TopicPartition, Long> uncommitted = endOffsets(partitions, IsolationLevel.READ_UNCOMMITTED);
        if (committed == null || uncommitted == null) {
            return null;
        }
        Map<TopicPartition, Long> open = new TreeMap<>(Comparator.comparing(TopicPartition::topic)
                .thenComparingInt(TopicPartition::partition));
        uncommitted.forEach((p, end) -> {
            if (end > committed.get(p)) {
                open.put(p, end - committed.get(p));
            }
        });
        return open;
    }

    private Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, IsolationLevel isolation) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = KafkaCluster.tryGet(
                () -> admin.listOffsets(latest, new ListOffsetsOptions(isolation)).all().get());
        if (ends == null) {
            return null;
        }
        Map<TopicPartition, Long> offsets = new HashMap<>();
        ends.forEach((p, info) -> offsets.put(p, info.offset()));
        return offsets;
    }
}
