package io.moestream.pipeline;

import io.moestream.layer.ExpertCall;
import io.moestream.layer.ExpertExecutor;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.WireFormatException;
import io.moestream.wire.WireType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dense worker's experts: each MoE layer's rows go to the expert services on their experts' dense topics,
 * and the outputs come back on the worker's own partition of {@code layer-outputs}. One call is one
 * round trip: every expert of the layer is sent to before any output is awaited, so the experts
 * compute in parallel, and the step goes on only when all have answered.
 *
 * <p>Nothing here is transactional. The outputs are a pure function of the rows, so a copy of an
 * output redelivered after an expert's crash is the same numbers: the step takes the first copy and
 * drops any other, and outputs of earlier steps (a step given up on) are dropped by their step id.
 * The worker reads its partition from the end when it starts, so a restarted worker never reads a
 * predecessor's outputs. Not thread-safe: the worker's one thread calls it.
 */
public final class KafkaExperts implements ExpertExecutor, AutoCloseable {

    /** Hears each round trip, for the worker's meters. */
    @FunctionalInterface
    public interface RoundTrips {
        RoundTrips NONE = (layer, nanos, bytesOut, bytesIn) -> { };

        /** One MoE layer's round trip: all its experts' rows out, their outputs back, the record value bytes. */
        void roundTrip(int layer, long nanos, long bytesOut, long bytesIn);
    }

    /** Thrown when an expert has not answered by the deadline; the step cannot complete. */
    public static final class ExpertsUnavailableException extends RuntimeException {
        public ExpertsUnavailableException(String message) {
            super(message);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(KafkaExperts.class);
    /** How often a step waiting for its experts asks whether one lost its consumer. */
    private static final Duration AVAILABILITY_CHECK = Duration.ofMillis(500);

    private final Topics topics;
    private final String workerId;
    private final int rank;
    private final WireType wireType;
    private final Duration deadline;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final byte[] replyHeader;
    private final RoundTrips listener;
    private final Supplier<int[]> unavailable;
    private long steps;

    /**
     * @param workerId this worker's instance, unique among the workers: the prefix of its step ids
     * @param rank the worker's source rank: its partition of {@code layer-outputs}
     * @param deadline how long a step waits for its experts before giving up
     * @param listener hears every round trip
     * @param unavailable the routed experts without a live consumer now, ascending: the layers route without them
     */
    public KafkaExperts(String bootstrapServers, Topics topics, String workerId, int rank, WireType wireType,
                        Duration deadline, RoundTrips listener, Supplier<int[]> unavailable) {
        this.listener = listener;
        this.unavailable = unavailable;
        this.topics = topics;
        this.workerId = workerId;
        this.rank = rank;
        this.wireType = wireType;
        this.deadline = deadline;
        this.replyHeader = Integer.toString(rank).getBytes(StandardCharsets.UTF_8);
        Properties producerConfig = new Properties();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // A layer's round trip waits for every record: lingering would only add to it.
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "1");
        producerConfig.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, workerId + "-experts");
        this.producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        Properties consumerConfig = new Properties();
        consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        consumerConfig.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_RECORD_BYTES);
        consumerConfig.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MAX_RECORD_BYTES);
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, workerId + "-outputs");
        this.consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TopicPartition partition = new TopicPartition(topics.layerOutputs(), rank);
        consumer.assign(List.of(partition));
        consumer.seekToEnd(List.of(partition));
        consumer.position(partition);
    }

    @Override
    public int[] unavailable() {
        return unavailable.get();
    }

    @Override
    public float[][] compute(int layer, float[] x, int hidden, List<ExpertCall> calls) {
        String stepId = workerId + "-r" + rank + "-" + steps++;
        byte[] key = stepId.getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        Map<Integer, Integer> callOf = new HashMap<>();
        long bytesOut = 0;
        for (int c = 0; c < calls.size(); c++) {
            ExpertCall call = calls.get(c);
            callOf.put(call.expert(), c);
            byte[] value = new ExpertRows(stepId, layer, call.expert(), call.tokens(), hidden,
                    ExpertExecutor.gather(x, hidden, call.tokens()), 0).toBytes(wireType);
            bytesOut += value.length;
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topics.denseExpert(call.expert()), key, value);
            record.headers().add(Topics.REPLY_PARTITION_HEADER, replyHeader);
            producer.send(record);
        }
        long[] bytesIn = new long[1];
        float[][] outputs = await(stepId, layer, calls, callOf, start, bytesIn);
        listener.roundTrip(layer, System.nanoTime() - start, bytesOut, bytesIn[0]);
        return outputs;
    }

    /** @param bytesIn receives the value bytes of this step's outputs */
    private float[][] await(String stepId, int layer, List<ExpertCall> calls, Map<Integer, Integer> callOf,
                            long start, long[] bytesIn) {
        float[][] outputs = new float[calls.size()][];
        int missing = calls.size();
        long end = start + deadline.toNanos();
        while (missing > 0) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new ExpertsUnavailableException("layer " + layer + " step " + stepId + ": experts "
                        + missingExperts(calls, outputs) + " did not answer within " + deadline.toMillis() + " ms");
            }
            List<Integer> gone = goneMissing(calls, outputs);
            if (!gone.isEmpty()) {
                // Run again at once: the layer then routes without them, instead of waiting out the deadline.
                throw new ExpertsUnavailableException("layer " + layer + " step " + stepId + ": experts " + gone
                        + " lost their consumer while the step waited for them");
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofNanos(Math.min(left,
                    AVAILABILITY_CHECK.toNanos())))) {
                ExpertRows rows;
                try {
                    rows = ExpertRows.fromBytes(record.value());
                } catch (WireFormatException e) {
                    LOG.warn("{}-{}@{} is not an expert output, skipped: {}", record.topic(), record.partition(),
                            record.offset(), e.getMessage());
                    continue;
                }
                Integer c = rows.batchId().equals(stepId) && rows.layer() == layer ? callOf.get(rows.expert()) : null;
                if (c == null || outputs[c] != null) {
                    continue;
                }
                bytesIn[0] += record.value().length;
                if (!Arrays.equals(rows.tokens(), calls.get(c).tokens()) || rows.hidden() * rows.tokens().length
                        != rows.rows().length) {
                    throw new IllegalStateException("layer " + layer + " step " + stepId + ": expert " + rows.expert()
                            + " answered for other rows than it was sent");
                }
                outputs[c] = rows.rows();
                missing--;
            }
        }
        return outputs;
    }

    /** The experts still awaited that have no live consumer now. */
    private List<Integer> goneMissing(List<ExpertCall> calls, float[][] outputs) {
        int[] down = unavailable.get();
        return missingExperts(calls, outputs).stream().filter(e -> Arrays.binarySearch(down, e) >= 0).toList();
    }

    private static List<Integer> missingExperts(List<ExpertCall> calls, float[][] outputs) {
        List<Integer> missing = new ArrayList<>();
        for (int c = 0; c < calls.size(); c++) {
            if (outputs[c] == null) {
                missing.add(calls.get(c).expert());
            }
        }
        return missing;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        consumer.close(Duration.ofSeconds(5));
    }
}
