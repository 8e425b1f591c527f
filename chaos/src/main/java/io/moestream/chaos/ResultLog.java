package io.moestream.chaos;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Everything that reaches {@code layer-results} and {@code dead-letter}, read_committed from the start as a
 * client would read it, with the time each record arrived here. A background thread keeps reading
 * until {@link #close()}.
 */
final class ResultLog implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A result as it arrived: its request id, status, error text (when not ok) and the whole value. */
    record Arrival(String id, String status, String error, byte[] value, long arrivedNanos) {

        boolean ok() {
            return "ok".equals(status);
        }
    }

    /**
     * A dead letter: which service wrote it and why, and where the record it refused was.
     *
     * @param key the refused record's key, {@code null} for none
     * @param partition its partition, {@code -1} when unknown
     * @param offset its offset, {@code -1} when unknown
     */
    record DeadLetter(String service, String sourceTopic, int partition, long offset, String key, String reason,
                      long arrivedNanos) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String resultsTopic;
    private final List<Arrival> results = new ArrayList<>();
    private final List<DeadLetter> deadLetters = new ArrayList<>();
    private final Thread thread;
    private volatile RuntimeException failure;

    ResultLog(String bootstrapServers, String resultsTopic, String deadLetterTopic) {
        this.resultsTopic = resultsTopic;
        this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 << 20),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(resultsTopic, deadLetterTopic)) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.thread = new Thread(this::run, "chaos-results");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (true) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.nanoTime();
                    if (record.value() == null) {
                        continue;
                    }
                    JsonNode json = JSON.readTree(record.value());
                    synchronized (this) {
                        if (record.topic().equals(resultsTopic)) {
                            String id = json.path("id").asString(record.key() == null ? ""
                                    : new String(record.key(), StandardCharsets.UTF_8));
                            results.add(new Arrival(id, json.path("status").asString(), json.path("error").asString(""),
                                    record.value(), now));
                        } else {
                            deadLetters.add(new DeadLetter(json.path("service").asString(""),
                                    json.path("sourceTopic").asString(""), json.path("partition").asInt(-1),
                                    json.path("offset").asLong(-1), record.key() == null ? null
                                            : new String(record.key(), StandardCharsets.UTF_8),
                                    json.path("reason").asString(""), now));
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // close() ends the loop
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    synchronized List<Arrival> results() {
        check();
        return List.copyOf(results);
    }

    synchronized List<DeadLetter> deadLetters() {
        check();
        return List.copyOf(deadLetters);
    }

    private void check() {
        if (failure != null) {
            throw new IllegalStateException("reading " + resultsTopic + " failed: " + failure.getMessage(), failure);
        }
    }

    @Override
    public void close() {
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
