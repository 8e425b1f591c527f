package io.moestream.pipeline;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics that are missing and waits until every partition has a leader. */
public final class TopicSetup {

    private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

    private TopicSetup() {
    }

    /**
     * Producing right after creating a topic can hit NOT_LEADER_OR_FOLLOWER and stall an idempotent
     * producer for its whole delivery timeout (KAFKA-14359 / KAFKA-15591, seen here on 4.x); a
     * successful {@code listOffsets} on every partition shows the leaders are in place.
     */
    public static void ensure(Admin admin, Collection<NewTopic> topics, Duration timeout) {
        Set<String> existing;
        try {
            existing = admin.listTopics().names().get();
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
            if (!missing.isEmpty()) {
                LOG.info("creating {} topics: {}", missing.size(), missing.stream().map(NewTopic::name).toList());
                createIgnoringRaces(admin, missing);
            }
            awaitLeaders(admin, topics, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create topics: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static void createIgnoringRaces(Admin admin, List<NewTopic> missing)
            throws InterruptedException, ExecutionException {
        for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> created
                : admin.createTopics(missing).values().entrySet()) {
            try {
                created.getValue().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
    }

    private static void awaitLeaders(Admin admin, Collection<NewTopic> topics, Duration timeout)
            throws InterruptedException {
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        for (NewTopic topic : topics) {
            for (int p = 0; p < topic.numPartitions(); p++) {
                partitions.put(new TopicPartition(topic.name(), p), OffsetSpec.latest());
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                admin.listOffsets(partitions).all().get();
                return;
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("partitions still without a leader after " + timeout + ": "
                            + partitions.keySet().stream().map(TopicPartition::toString).collect(Collectors.joining(", ")),
                            e.getCause());
                }
                Thread.sleep(100);
            }
        }
    }
}
