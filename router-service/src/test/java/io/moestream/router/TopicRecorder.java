package io.moestream.router;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads committed records of some topics from their beginning and keeps them for assertions. */
final class TopicRecorder implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();

    TopicRecorder(String bootstrapServers, Collection<String> topics) {
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = topics.stream().flatMap(t -> consumer.partitionsFor(t).stream())
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** The records with this key, once {@code done} holds for them; fails after the timeout. */
    List<ConsumerRecord<String, byte[]>> await(String key, Predicate<List<ConsumerRecord<String, byte[]>>> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            List<ConsumerRecord<String, byte[]>> records = seen.stream().filter(r -> key.equals(r.key())).toList();
            if (done.test(records)) {
                return records;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("records with key " + key + " incomplete after 20 s: " + records.stream()
                        .map(ConsumerRecord::topic).toList());
            }
            consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
        }
    }

    /** What has arrived with this key so far, after one more poll. */
    List<ConsumerRecord<String, byte[]>> current(String key) {
        consumer.poll(Duration.ofMillis(500)).forEach(seen::add);
        return seen.stream().filter(r -> key.equals(r.key())).toList();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
