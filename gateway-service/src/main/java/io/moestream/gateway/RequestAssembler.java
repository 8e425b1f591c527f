package io.moestream.gateway;

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
 * persistent store keyed by request id, and writes the result JSON to {@code results} once all of
 * its tokens are back. A request that is still incomplete after the request timeout (its batches or
 * their manifests never came back) ends with status {@code error}: no request waits forever.
 * Completion is by token count: exactly-once processing delivers each batch's piece once.
 */
final class RequestAssembler implements Processor<byte[], byte[], byte[], byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(RequestAssembler.class);

    private final ReassemblyTopology.Names names;
    private final long requestTimeoutMs;
    private final DeadLetters deadLetters;
    private final GatewayMetrics metrics;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> store;

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
        long interval = Math.max(50, Math.min(1000, requestTimeoutMs / 4));
        context.schedule(Duration.ofMillis(interval), PunctuationType.WALL_CLOCK_TIME, this::expire);
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
        byte[] stored = store.get(id);
        RequestState state = stored == null ? new RequestState(System.currentTimeMillis())
                : RequestState.fromBytes(stored);
        if (part instanceof RequestPart.Registration registration) {
            state.register(registration);
        } else {
            state.add((RequestPart.Piece) part);
        }
        if (state.isDone()) {
            String status = state.degradedReasons().isEmpty() ? "ok" : "degraded";
            String error = status.equals("ok") ? null : String.join("; ", state.degradedReasons());
            finish(id, state, status, error, state.outputs());
        } else {
            store.put(id, state.toBytes());
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
                // The gateway registers a request before sending its first token, so pieces without a
                // registration are leftovers of a request that already ended (timed out): no second result.
                LOG.warn("dropping late outputs of request {}, which already ended", entry.key);
                store.delete(entry.key);
                continue;
            }
            String error = (state.tokens() - state.received()) + " of " + state.tokens()
                    + " tokens did not come back within " + requestTimeoutMs + " ms";
            LOG.warn("request {} failed: {}", entry.key, error);
            finish(entry.key, state, "error", error, null);
        }
    }

    private void finish(String id, RequestState state, String status, String error, float[] outputs) {
        long now = System.currentTimeMillis();
        long latencyMs = now - state.startMillis();
        byte[] result = ResultJson.of(id, status, state, latencyMs, error, outputs);
        context.forward(new Record<>(id.getBytes(StandardCharsets.UTF_8), result, now), names.resultsSink());
        store.delete(id);
        metrics.result(status, latencyMs);
    }
}
