package io.moestream.gateway;

import io.moestream.pipeline.DeadLetter;
import io.moestream.pipeline.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Dead letters as the gateway writes them: {@link DeadLetter}'s format, service {@code gateway}, counted. */
public final class DeadLetters {

    static final String SERVICE = "gateway";

    private final Topics topics;
    private final GatewayMetrics metrics;

    public DeadLetters(Topics topics, GatewayMetrics metrics) {
        this.topics = topics;
        this.metrics = metrics;
    }

    /** The dead letter for a refused record; counts it under {@code reasonClass}. */
    public ProducerRecord<byte[], byte[]> of(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
                                             String reasonClass, String reason) {
        metrics.deadLetter(reasonClass);
        return DeadLetter.record(topics, SERVICE, sourceTopic, partition, offset, key, value, reason);
    }
}
