package io.moestream.expert.service;

import io.moestream.pipeline.TopicLayout;
import io.moestream.pipeline.TopicSetup;
import io.moestream.pipeline.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** A test's side of the broker: it creates the topics, sends as the router would and reads as reassembly would. */
final class TestKafka implements AutoCloseable {

    /** How long a read goes on after it has what it waited for, to catch duplicates. */
    private static final Duration SETTLE = Duration.ofSeconds(1);

    private final String bootstrap;
    private final KafkaProducer<String, byte[]> producer;

    TestKafka(String bootstrap) {
        this.bootstrap = bootstrap;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** Creates the topics before anything is sent to them, waiting for their leaders (KAFKA-14359). */
    void createTopics(Topics topics, TopicLayout layout) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicSetup.ensure(admin, topics.all(layout), Duration.ofSeconds(30));
        }
    }

    void send(String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * The committed records of {@code topic} from its start, once there are at least {@code atLeast} and no
     * more came for a second (so that duplicates show); or those there are when {@code timeout} runs out.
     */
    List<ConsumerRecord<String, byte[]>> readCommitted(String topic, int atLeast, Duration timeout) {
        return read(topic, atLeast, SETTLE, timeout);
    }

    /** Waits until {@code topic} holds at least {@code atLeast} committed records. */
    void awaitCommitted(String topic, int atLeast, Duration timeout) {
        int found = read(topic, atLeast, Duration.ZERO, timeout).size();
        if (found < atLeast) {
            throw new AssertionError(topic + " holds " + found + " committed records after " + timeout + ", expected "
                    + atLeast);
        }
    }

    private List<ConsumerRecord<String, byte[]>> read(String topic, int atLeast, Duration settle, Duration timeout) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            long lastArrival = System.nanoTime();
            while (System.nanoTime() < deadline) {
                int before = records.size();
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                if (records.size() > before) {
                    lastArrival = System.nanoTime();
                }
                if (records.size() >= atLeast && System.nanoTime() - lastArrival >= settle.toNanos()) {
                    break;
                }
            }
            return records;
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
