package io.moestream.local;

import io.moestream.pipeline.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client of the whole-model topics as any Kafka user would be one (kcat, say): writes request JSON to
 * {@code prompts}, reads {@code results} and {@code completion-stream} from the start.
 */
final class CompletionClient implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Topics topics;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, List<JsonNode>> results = new HashMap<>();
    private final Map<String, List<JsonNode>> stream = new HashMap<>();

    CompletionClient(String bootstrapServers, Topics topics) {
        this.topics = topics;
        Properties producerConfig = new Properties();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        Properties consumerConfig = new Properties();
        consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, topics.prefix() + "test-client");
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topics.results(), topics.completionStream()));
    }

    void send(String id, String json) {
        producer.send(new ProducerRecord<>(topics.prompts(), id.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8)));
        producer.flush();
    }

    /** Sends to one partition of {@code prompts}, as {@code kcat -p} does. */
    void sendTo(int partition, String id, String json) {
        producer.send(new ProducerRecord<>(topics.prompts(), partition, id.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8)));
        producer.flush();
    }

    /** The request's one result, after waiting up to {@code timeout} for it. */
    JsonNode result(String id, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!results.containsKey(id)) {
            if (System.nanoTime() > end) {
                throw new AssertionError("no result for " + id + " within " + timeout);
            }
            poll();
        }
        return results.get(id).get(0);
    }

    /** Every result record of the request read so far. */
    List<JsonNode> results(String id) {
        poll();
        return results.getOrDefault(id, List.of());
    }

    /** The stream records of the request read so far. */
    List<JsonNode> stream(String id) {
        poll();
        return stream.getOrDefault(id, List.of());
    }

    private void poll() {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            JsonNode node = JSON.readTree(record.value());
            String id = node.get("id").asString();
            Map<String, List<JsonNode>> into = record.topic().equals(topics.results()) ? results : stream;
            into.computeIfAbsent(id, k -> new ArrayList<>()).add(node);
        }
    }

    @Override
    public void close() {
        producer.close();
        consumer.close();
    }
}
