package io.moestream.router.worker;

import io.moestream.pipeline.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What earlier owners of a partition of {@code prompts} wrote for its requests: the tokens each request
 * streamed to {@code completion-stream}, and whether its result is in {@code results}. A dense worker that
 * takes a partition over reads it for the requests it finds there uncommitted, so that it streams only the
 * tokens after those and writes no result twice.
 *
 * <p>A request's stream records and result go to the partition of the same number as the request's, and
 * the three topics are stamped by the broker ({@code LogAppendTime}): nothing written for a request is older
 * than the request. The search starts {@link #CLOCK_MARGIN} before the oldest request, for brokers' clocks
 * that differ.
 */
final class TakeoverLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TakeoverLog.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final Duration CLOCK_MARGIN = Duration.ofMinutes(1);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    /**
     * What was written for one request.
     *
     * @param streamed its stream records, one per index from 0, in index order
     * @param answered whether its result was written
     */
    record Written(List<JsonNode> streamed, boolean answered) {
    }

    private final Topics topics;
    private final KafkaConsumer<byte[], byte[]> reader;

    TakeoverLog(String bootstrapServers, Topics topics, String clientId) {
        this.topics = topics;
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_RECORD_BYTES);
        this.reader = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * What was written on partition {@code partition} for the requests of that partition, from
     * {@code oldestRequestMs} (the oldest of them, by the broker's clock) on.
     *
     * @throws IllegalStateException when the partitions cannot be read to their end in time
     */
    Map<String, Written> read(int partition, long oldestRequestMs) {
        long since = oldestRequestMs - CLOCK_MARGIN.toMillis();
        Map<String, TreeMap<Integer, JsonNode>> streamed = new HashMap<>();
        readFrom(new TopicPartition(topics.completionStream(), partition), since, record -> {
            JsonNode token = parse(record);
            if (token != null && token.path("index").isInt()) {
                streamed.computeIfAbsent(id(record), i -> new TreeMap<>()).putIfAbsent(token.get("index").asInt(), token);
            }
        });
        Set<String> answered = new HashSet<>();
        readFrom(new TopicPartition(topics.results(), partition), since, record -> answered.add(id(record)));
        Map<String, Written> written = new HashMap<>();
        streamed.forEach((id, tokens) -> written.put(id, new Written(leadingRun(tokens), answered.contains(id))));
        answered.forEach(id -> written.putIfAbsent(id, new Written(List.of(), true)));
        return written;
    }

    /** The records of indexes 0, 1, 2... up to the first missing one: a token is only kept with all before it. */
    private static List<JsonNode> leadingRun(TreeMap<Integer, JsonNode> tokens) {
        List<JsonNode> run = new ArrayList<>();
        while (tokens.containsKey(run.size())) {
            run.add(tokens.get(run.size()));
        }
        return run;
    }

    private void readFrom(TopicPartition partition, long sinceMs, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        reader.assign(List.of(partition));
        OffsetAndTimestamp start = reader.offsetsForTimes(Map.of(partition, sinceMs)).get(partition);
        if (start == null) {
            return;
        }
        long end = reader.endOffsets(List.of(partition)).get(partition);
        reader.seek(partition, start.offset());
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        while (reader.position(partition) < end) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + partition + " to offset " + end + " in "
                        + READ_TIMEOUT.toSeconds() + " s");
            }
            for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
                if (record.offset() < end && record.key() != null) {
                    sink.accept(record);
                }
            }
        }
    }

    private static String id(ConsumerRecord<byte[], byte[]> record) {
        return new String(record.key(), StandardCharsets.UTF_8);
    }

    private static JsonNode parse(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return null;
        }
        try {
            return JSON.readTree(record.value());
        } catch (JacksonException e) {
            LOG.warn("stream record {}-{}@{} is not JSON; a takeover passes it by", record.topic(), record.partition(),
                    record.offset());
            return null;
        }
    }

    @Override
    public void close() {
        reader.close();
    }
}
