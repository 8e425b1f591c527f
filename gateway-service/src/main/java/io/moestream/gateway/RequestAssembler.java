package io.moestream.gateway;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reassembly of requests: accumulates a request's registration and the pieces of its batches in a
 * persistent store keyed by request id, and writes the result JSON to {@code layer-results} once all of
 * its tokens are back. A request that is still incomplete after the request timeout (its batches or
 * their manifests never came back) ends with status {@code error}: no request waits forever.
 * Completion is by token count: exactly-once processing delivers each batch's piece once, and
 * {@link RequestState} counts the pieces of one copy of a request only.
 *
 * <p>A request gets one result. Reassembly remembers the requests it finished for {@link #FINISHED_FOR}, in
 * the same exactly-once state as the results: what comes for one of them later (a prompt that a restarted
 * gateway took again after its first taker died uncommitted, or rows that missed a time-out) writes no second
 * result. A registration of a finished request is dead-lettered ({@code request-duplicate}) so that whoever
 * sent it learns why no result follows; pieces are counted and dropped.
 */
final class RequestAssembler implements Processor<byte[], byte[], byte[], byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(RequestAssembler.class);
    /**
     * How long a finished request's id is remembered: the retention of {@code gateway.requests}, beyond which
     * nothing of the request is left to come back from there. A prompt taken again later than that (a gateway
     * down for longer, with that prompt uncommitted) would run again.
     */
    static final Duration FINISHED_FOR = Duration.ofMillis(GatewayTopics.REQUESTS_RETENTION_MS);

    private final ReassemblyTopology.Names names;
    private final long requestTimeoutMs;
    private final DeadLetters deadLetters;
    private final GatewayMetrics metrics;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> store;
    private KeyValueStore<String, byte[]> finished;

    RequestAssembler(ReassemblyTopology.Names names, long requestTimeoutMs, DeadLetters deadLetters,
                     GatewayMetrics metrics) {
        this.names = names;
        this.requestTimeoutMs = requestTimeoutMs;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(ReassemblyTopology.REQUEST_STORE);
        this.finished = context.getStateStore(ReassemblyTopology.FINISHED_STORE);
        long interval = Math.max(50, Math.min(1000, requestTimeoutMs / 4));
        context.schedule(Duration.ofMillis(interval), PunctuationType.WALL_CLOCK_TIME, this::expire);
        context.schedule(FINISHED_FOR.dividedBy(60), PunctuationType.WALL_CLOCK_TIME, this::forgetFinished);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RequestPart part;
        try {
            part = RequestPart.fromBytes(record.value());
        } catch (IllegalArgumentException e) {
            RecordMetadata source = context.recordMetadata().orElseThrow();
            ProducerRecord<byte[], byte[]> letter = deadLetters.of(source.topic(), source.partition(), source.offset(),
                    record.key(), record.value(), "request-part-invalid", e.getMessage());
            context.forward(new Record<>(letter.key(), letter.value(), record.timestamp()), names.deadLetterSink());
            return;
        }
        String id = part.requestId();
        if (finished.get(id) != null) {
            alreadyFinished(record, part);
            return;
        }
        byte[] stored = store.get(id);
        RequestState state = stored == null ? new RequestState(context.currentSystemTimeMs())
                : RequestState.fromBytes(stored);
        if (part instanceof RequestPart.Registration registration) {
            state.register(registration);
        } else if (!state.add((RequestPart.Piece) part)) {
            metrics.partDropped("superseded");
        }
        if (state.isDone()) {
            String status = state.degradedReasons().isEmpty() ? "ok" : "degraded";
            String error = status.equals("ok") ? null : String.join("; ", state.degradedReasons());
            finish(id, state, status, error, state.outputs());
        } else {
            store.put(id, state.toBytes());
        }
    }

    /** A part of a request that has its result already: no second one. */
    private void alreadyFinished(Record<byte[], byte[]> record, RequestPart part) {
        if (part instanceof RequestPart.Registration) {
            RecordMetadata source = context.recordMetadata().orElseThrow();
            LOG.warn("request {} was taken again after its result: no second result", part.requestId());
            ProducerRecord<byte[], byte[]> letter = deadLetters.of(source.topic(), source.partition(), source.offset(),
                    record.key(), record.value(), "request-duplicate", "request " + part.requestId()
                            + " already has a result; a request id gets one result");
            context.forward(new Record<>(letter.key(), letter.value(), record.timestamp()), names.deadLetterSink());
        } else {
            metrics.partDropped("finished");
        }
    }

    private void expire(long now) {
        List<KeyValue<String, RequestState>> expired = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            all.forEachRemaining(entry -> {
                if (now - RequestState.startMillis(entry.value) > requestTimeoutMs) {
                    expired.add(KeyValue.pair(entry.key, RequestState.fromBytes(entry.value)));
                }
            });
        }
        for (KeyValue<String, RequestState> entry : expired) {
            RequestState state = entry.value;
            if (!state.isRegistered()) {
                unknown(entry.key, state, now);
                continue;
            }
            String error = (state.tokens() - state.received()) + " of " + state.tokens()
                    + " tokens did not come back within " + requestTimeoutMs + " ms";
            LOG.warn("request {} failed: {}", entry.key, error);
            finish(entry.key, state, "error", error, null);
        }
    }

    /**
     * Outputs of a request no gateway registered within the request time-out: the gateway registers a request
     * before sending its first token, and a request that ended is in {@code finished}, so its token batch or
     * routing manifest came from elsewhere (a broken peer, a replayed or forged record). No result: the sender
     * learns why from the dead letter, under the request id its records named.
     */
    private void unknown(String id, RequestState state, long now) {
        String reason = "outputs of " + state.received() + " tokens came back for request " + id + ", which no "
                + "gateway registered within " + requestTimeoutMs + " ms: its token batch or routing manifest was "
                + "not written by a gateway";
        LOG.warn("request {}: {}", id, reason);
        ProducerRecord<byte[], byte[]> letter = deadLetters.of(names.requests(), context.taskId().partition(), -1,
                id.getBytes(StandardCharsets.UTF_8), null, "request-unknown", reason);
        context.forward(new Record<>(letter.key(), letter.value(), now), names.deadLetterSink());
        store.delete(id);
    }

    private void finish(String id, RequestState state, String status, String error, float[] outputs) {
        long now = context.currentSystemTimeMs();
        long latencyMs = now - state.startMillis();
        byte[] result = ResultJson.of(id, status, state, latencyMs, error, outputs);
        context.forward(new Record<>(id.getBytes(StandardCharsets.UTF_8), result, now), names.resultsSink());
        store.delete(id);
        finished.put(id, ByteBuffer.allocate(Long.BYTES).putLong(now).array());
        metrics.result(status, latencyMs);
    }

    private void forgetFinished(long now) {
        List<String> forgotten = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = finished.all()) {
            all.forEachRemaining(entry -> {
                if (now - ByteBuffer.wrap(entry.value).getLong() > FINISHED_FOR.toMillis()) {
                    forgotten.add(entry.key);
                }
            });
        }
        forgotten.forEach(finished::delete);
    }
}
