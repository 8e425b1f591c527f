package io.moestream.router;

import io.moestream.pipeline.DeadLetter;
import io.moestream.pipeline.Topics;
import io.moestream.pipeline.UnavailableExperts;
import io.moestream.router.RouterMetrics.Output;
import io.moestream.router.RouterMetrics.Refusal;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireFormatException;
import io.moestream.wire.WireType;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one token batch per input record and forwards everything it produces (each expert's
 * rows, the manifest, a sampled trace line, or a dead letter) in the record's transaction. The
 * batch is decoded here rather than by a serde so that a bad record becomes a dead letter
 * inside the same transaction instead of stopping the stream.
 */
final class DispatchProcessor implements Processor<byte[], byte[], byte[], Outgoing> {

    static final String SERVICE = "router";

    private static final Logger LOG = LoggerFactory.getLogger(DispatchProcessor.class);

    private final BatchRouter router;
    private final LiveRouting live;
    private final Topics topics;
    private final WireType wireType;
    private final double traceSampleRate;
    private final RouterMetrics metrics;
    private final ExpertAvailability availability;
    private ProcessorContext<byte[], Outgoing> context;

    DispatchProcessor(BatchRouter router, LiveRouting live, ExpertAvailability availability, Topics topics,
                      WireType wireType, double traceSampleRate, RouterMetrics metrics) {
        this.router = router;
        this.live = live;
        this.availability = availability;
        this.topics = topics;
        this.wireType = wireType;
        this.traceSampleRate = traceSampleRate;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], Outgoing> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> input) {
        TokenBatch batch;
        try {
            batch = decode(input.value());
        } catch (WireFormatException | IllegalArgumentException e) {
            refuse(input, Refusal.MALFORMED, e.getMessage());
            return;
        }
        RoutedBatch routed;
        try {
            routed = metrics.routeTime().record(() -> router.route(batch, live.current(),
                    availability.unavailable()));
        } catch (IllegalArgumentException e) {
            refuse(input, Refusal.INVALID, e.getMessage());
            return;
        }
        metrics.routed(routed);
        byte[] key = batch.batchId().getBytes(StandardCharsets.UTF_8);
        for (ExpertRows rows : routed.dispatches()) {
            forward(input, key, topics.expert(rows.expert()), rows.toBytes(wireType), Output.DISPATCH);
        }
        Headers note = new RecordHeaders();
        if (!routed.unavailable().isEmpty()) {
            note.add(UnavailableExperts.HEADER, routed.unavailable().toBytes());
        }
        forward(input, key, topics.expertOutputs(), routed.manifest().toBytes(), Output.MANIFEST, note);
        if (traceSampleRate > 0 && ThreadLocalRandom.current().nextDouble() < traceSampleRate) {
            forward(input, key, topics.routerTrace(), TraceLine.of(batch.sourceRank(), routed.logits()), Output.TRACE);
        }
    }

    private static TokenBatch decode(byte[] value) {
        if (value == null) {
            throw new WireFormatException("the record has no value");
        }
        return TokenBatch.fromBytes(value);
    }

    private void refuse(Record<byte[], byte[]> input, Refusal refusal, String reason) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        LOG.warn("dead letter from {}-{}@{}: {}", source.topic(), source.partition(), source.offset(), reason);
        ProducerRecord<byte[], byte[]> letter = DeadLetter.record(topics, SERVICE, source.topic(), source.partition(),
                source.offset(), input.key(), input.value(), reason);
        forward(input, letter.key(), letter.topic(), letter.value(), Output.DEAD_LETTER);
        metrics.refused(refusal);
    }

    private void forward(Record<byte[], byte[]> input, byte[] key, String topic, byte[] value, Output output) {
        forward(input, key, topic, value, output, new RecordHeaders());
    }

    private void forward(Record<byte[], byte[]> input, byte[] key, String topic, byte[] value, Output output,
                         Headers headers) {
        context.forward(new Record<>(key, new Outgoing(topic, value), input.timestamp(), headers));
        metrics.wrote(output, (key == null ? 0 : key.length) + value.length);
    }
}
