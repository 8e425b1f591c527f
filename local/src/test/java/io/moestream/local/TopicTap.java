package io.moestream.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads what arrives on a topic from the moment it is opened: every partition, committed records
 * only (the services write transactionally), no consumer group to disturb anything.
 */
final class TopicTap implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<ConsumerRecord<String, byte[]>> unclaimed = new ArrayList<>();

    TopicTap(LocalStack stack, String topic) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
    }

    /** The first record not claimed before that matches, waiting for it up to {@code timeout}. */
    ConsumerRecord<String, byte[]> await(Predicate<ConsumerRecord<String, byte[]>> match, Duration timeout,
                                         String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            for (Iterator<ConsumerRecord<String, byte[]>> it = unclaimed.iterator(); it.hasNext(); ) {
                ConsumerRecord<String, byte[]> record = it.next();
                if (match.test(record)) {
                    it.remove();
                    return record;
                }
            }
            consumer.poll(Duration.ofMillis(100)).forEach(unclaimed::add);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no " + what + " within " + timeout.toSeconds() + " s");
    }

    /** Everything that arrives within {@code period}, with what was not claimed yet. */
    List<ConsumerRecord<String, byte[]>> drain(Duration period) {
        long deadline = System.nanoTime() + period.toNanos();
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(unclaimed::add);
        }
        List<ConsumerRecord<String, byte[]>> all = List.copyOf(unclaimed);
        unclaimed.clear();
        return all;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
