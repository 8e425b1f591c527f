package io.moestream.gateway;

import io.moestream.wire.TokenBatch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** The test's own Kafka clients: send records, and read topics from the start until what is awaited is there. */
final class KafkaProbe {

    static final Duration WAIT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String bootstrapServers;

    KafkaProbe(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    void send(String topic, String key, byte[]... values) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrapServers), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] value : values) {
                producer.send(new ProducerRecord<>(topic, bytes(key), value)).get();
            }
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError("cannot send to " + topic, e);
        }
    }

    /** The token batches that carry the requests' tokens (request id to token count). */
    List<TokenBatch> batchesOf(String tokensTopic, int ranks, Map<String, Integer> requests) {
        Map<String, Integer> seen = new HashMap<>();
        List<TokenBatch> batches = new ArrayList<>();
        readUntil(tokensTopic, ranks, record -> {
            TokenBatch batch = TokenBatch.fromBytes(record.value());
            if (batch.requests().stream().anyMatch(s -> requests.containsKey(s.requestId()))) {
                assertThat(record.partition()).as("partition of " + batch.batchId()).isEqualTo(batch.sourceRank());
                batches.add(batch);
                batch.requests().forEach(s -> seen.merge(s.requestId(), s.tokenCount(), Integer::sum));
            }
            return seen.equals(requests);
        });
        assertThat(seen).isEqualTo(requests);
        return batches;
    }

    /** The JSON values of the records with these keys (the last one of each key). */
    Map<String, JsonNode> jsonByKey(String topic, int partitions, Set<String> keys) {
        Map<String, JsonNode> found = new HashMap<>();
        readUntil(topic, partitions, record -> {
            String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
            if (keys.contains(key)) {
                found.put(key, JSON.readTree(record.value()));
            }
            return found.keySet().equals(keys);
        });
        assertThat(found).containsOnlyKeys(keys);
        return found;
    }

    /** What a record tells the reader: {@code true} once it has what it waits for. */
    interface Reader {
        boolean read(ConsumerRecord<byte[], byte[]> record);
    }

    /**
     * Reads committed records from the start of every partition until the reader is done or the wait
     * is over.
     *
     * @return whether the reader got what it waited for
     */
    boolean readUntil(String topic, int partitionCount, Reader reader) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = IntStream.range(0, partitionCount)
                    .mapToObj(p -> new TopicPartition(topic, p)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    if (reader.read(record)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
