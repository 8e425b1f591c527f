package io.moestream.gateway;

import io.moestream.layer.BatchReassembly;
import io.moestream.wire.BatchPart;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.RoutingManifest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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
 * Reassembly of batches: collects a batch's manifest and expert outputs from {@code expert-outputs}
 * in a persistent store keyed by batch id, combines the batch with {@link BatchReassembly} once every
 * expert has answered, or once its deadline has passed with the missing experts' slots dropped, and
 * forwards one {@link RequestPart.Piece} per request span, keyed by request id. Records that cannot be
 * used go to the dead-letter sink; the stream goes on.
 */
final class BatchAssembler implements Processor<byte[], byte[], byte[], byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(BatchAssembler.class);

    private final ReassemblyTopology.Names names;
    private final int hidden;
    private final long deadlineMs;
    private final DeadLetters deadLetters;
    private final GatewayMetrics metrics;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> store;

    BatchAssembler(ReassemblyTopology.Names names, int hidden, long deadlineMs, DeadLetters deadLetters,
                   GatewayMetrics metrics) {
        this.names = names;
        this.hidden = hidden;
        this.deadlineMs = deadlineMs;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(ReassemblyTopology.BATCH_STORE);
        // A quarter of the deadline keeps a late batch's overrun small without scanning the store often.
        long interval = Math.max(50, Math.min(1000, deadlineMs / 4));
        context.schedule(Duration.ofMillis(interval), PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        byte[] value = record.value();
        metrics.expertOutputsIn(value == null ? 0 : value.length);
        PendingBatch.Received received = new PendingBatch.Received(source.partition(), source.offset(), value);
        BatchPart part;
        try {
            part = BatchPart.fromBytes(value);
        } catch (RuntimeException e) {
            deadLetter(record.key(), received, "expert-outputs-undecodable",
                    "undecodable expert-outputs record: " + e.getMessage());
            return;
        }
        byte[] stored = store.get(part.batchId());
        PendingBatch pending = stored == null ? new PendingBatch(System.currentTimeMillis(), List.of())
                : PendingBatch.fromBytes(stored);
        settle(part.batchId(), pending.with(received), false);
    }

    /** Completes the batches whose deadline has passed. */
    private void expire(long now) {
        List<KeyValue<String, byte[]>> expired = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            all.forEachRemaining(entry -> {
                if (now - PendingBatch.sinceMillis(entry.value) > deadlineMs) {
                    expired.add(entry);
                }
            });
        }
        expired.forEach(entry -> settle(entry.key, PendingBatch.fromBytes(entry.value), true));
    }

    /**
     * Feeds the batch's parts to a reassembly; completes the batch when every expert has answered or
     * when {@code expired}, else stores what is still useful.
     */
    private void settle(String batchId, PendingBatch pending, boolean expired) {
        PendingBatch.Received manifestPart = pending.parts().stream()
                .filter(p -> BatchPart.fromBytes(p.value()) instanceof RoutingManifest).findFirst().orElse(null);
        if (manifestPart == null) {
            if (expired) {
                pending.parts().forEach(p -> deadLetter(key(batchId), p, "expert-outputs-orphaned",
                        "no routing manifest for batch " + batchId + " within " + deadlineMs
                                + " ms: rows of a batch already completed, or the manifest was lost"));
                store.delete(batchId);
            } else {
                store.put(batchId, pending.toBytes());
            }
            return;
        }
        RoutingManifest manifest = (RoutingManifest) BatchPart.fromBytes(manifestPart.value());
        BatchReassembly reassembly = new BatchReassembly(manifest, hidden);
        List<PendingBatch.Received> kept = new ArrayList<>(List.of(manifestPart));
        for (PendingBatch.Received part : pending.parts()) {
            if (BatchPart.fromBytes(part.value()) instanceof ExpertRows rows && accept(reassembly, rows, part)) {
                kept.add(part);
            }
        }
        if (reassembly.isComplete() || expired) {
            complete(reassembly);
            store.delete(batchId);
        } else {
            store.put(batchId, new PendingBatch(manifest.createdAtMillis(), kept).toBytes());
        }
    }

    /** Whether the rows are new and fit the manifest; rows that do not fit are dead-lettered. */
    private boolean accept(BatchReassembly reassembly, ExpertRows rows, PendingBatch.Received part) {
        try {
            return reassembly.accept(rows);
        } catch (IllegalArgumentException e) {
            deadLetter(key(rows.batchId()), part, "expert-outputs-invalid", e.getMessage());
            return false;
        }
    }

    private void complete(BatchReassembly reassembly) {
        RoutingManifest manifest = reassembly.manifest();
        int[] missing = reassembly.missingExperts();
        String reason = "";
        if (missing.length > 0) {
            reason = (missing.length == 1 ? "expert " : "experts ") + BatchReassembly.describe(missing)
                    + " did not answer within " + deadlineMs + " ms";
            metrics.degradedStep();
            LOG.warn("batch {} completed degraded: {}", manifest.batchId(), reason);
        }
        float[] out = reassembly.combinePartial();
        long now = System.currentTimeMillis();
        for (RequestSpan span : manifest.requests()) {
            float[] rows = Arrays.copyOfRange(out, span.firstToken() * hidden,
                    (span.firstToken() + span.tokenCount()) * hidden);
            RequestPart.Piece piece = new RequestPart.Piece(span.requestId(), manifest.batchId(), span.requestOffset(),
                    span.tokenCount(), span.requestTokens(), hidden, manifest.policy(), manifest.capacityFactor(),
                    reassembly.counts(span), reason, rows);
            context.forward(new Record<>(key(span.requestId()), piece.toBytes(), now), names.piecesSink());
        }
    }

    private void deadLetter(byte[] key, PendingBatch.Received part, String reasonClass, String reason) {
        LOG.warn("dead letter from {} partition {} offset {}: {}", names.expertOutputs(), part.partition(),
                part.offset(), reason);
        ProducerRecord<byte[], byte[]> letter = deadLetters.of(names.expertOutputs(), part.partition(), part.offset(),
                key, part.value(), reasonClass, reason);
        context.forward(new Record<>(letter.key(), letter.value(), System.currentTimeMillis()),
                names.deadLetterSink());
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }
}
