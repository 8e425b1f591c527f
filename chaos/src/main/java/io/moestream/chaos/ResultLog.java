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
import io.moestream.pipeline.Topics;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Everything that reaches a results topic and its side topic, read_committed from the start as a client
 * would read it, with the time each record arrived here: {@code layer-results} with {@code dead-letter}, or
 * the whole models' {@code results} with {@code completion-stream}. A background thread keeps reading
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

    /** A whole model's streamed token: its request, index and id. */
    record Streamed(String id, int index, int token) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String resultsTopic;
    private final String deadLetterTopic;
    private final List<Arrival> results = new ArrayList<>();
    private final List<DeadLetter> deadLetters = new ArrayList<>();
    private final List<Streamed> streamed = new ArrayList<>();
    private final Thread thread;
    private volatile RuntimeException failure;

    /** The single-layer pipeline's results and dead letters. */
    static ResultLog layer(String bootstrapServers, Topics topics) {
        return new ResultLog(bootstrapServers, topics.layerResults(), topics.deadLetter(), true);
    }

    /** The whole models' results and streamed tokens. */
    static ResultLog wholeModel(String bootstrapServers, Topics topics) {
        return new ResultLog(bootstrapServers, topics.results(), topics.completionStream(), false);
    }

    /** @param deadLetters whether {@code sideTopic} holds dead letters, or else streamed tokens */
    private ResultLog(String bootstrapServers, String resultsTopic, String sideTopic, boolean deadLetters) {
        this.resultsTopic = resultsTopic;
        this.deadLetterTopic = deadLetters ? sideTopic : null;
        this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 << 20),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(resultsTopic, sideTopic)) {
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
                        } else if (record.topic().equals(deadLetterTopic)) {
                            deadLetters.add(new DeadLetter(json.path("service").asString(""),
                                    json.path("sourceTopic").asString(""), json.path("partition").asInt(-1),
                                    json.path("offset").asLong(-1), record.key() == null ? null
                                            : new String(record.key(), StandardCharsets.UTF_8),
                                    json.path("reason").asString(""), now));
                        } else {
                            streamed.add(new Streamed(json.path("id").asString(""), json.path("index").asInt(-1),
                                    json.path("token").asInt(-1)));
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

    /** The whole models' streamed tokens, in arrival order. */
    synchronized List<Streamed> streamed() {
        check();
        return List.copyOf(streamed);
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
