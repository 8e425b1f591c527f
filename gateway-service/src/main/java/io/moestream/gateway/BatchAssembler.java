package io.moestream.gateway;

import io.moestream.layer.BatchReassembly;
import io.moestream.pipeline.UnavailableExperts;
import io.moestream.wire.BatchPart;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.RoutingManifest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringSerializer;
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
 * in persistent stores, each part stored once under its own key next to a small header per batch id
 * ({@link PendingBatch}); combines the batch with {@link BatchReassembly} once every expert has
 * answered, or once its deadline has passed with the missing experts' slots dropped, and forwards one
 * {@link RequestPart.Piece} per request span, keyed by request id. Rows are checked against the
 * manifest as soon as both are there, so the header knows when the batch is complete and the parts are
 * read back once, to combine them. Records that cannot be used go to the dead-letter sink; the stream
 * goes on.
 */
final class BatchAssembler implements Processor<byte[], byte[], byte[], byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(BatchAssembler.class);
    private static final StringSerializer PREFIX = new StringSerializer();

    private final ReassemblyTopology.Names names;
    private final int hidden;
    private final long deadlineMs;
    private final DeadLetters deadLetters;
    private final GatewayMetrics metrics;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> headers;
    private KeyValueStore<String, byte[]> parts;

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
        this.headers = context.getStateStore(ReassemblyTopology.BATCH_HEADER_STORE);
        this.parts = context.getStateStore(ReassemblyTopology.BATCH_PART_STORE);
        // A quarter of the deadline keeps a late batch's overrun small without scanning the headers often.
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
        String unusable = part instanceof ExpertRows rows ? unusable(rows) : null;
        if (unusable != null) {
            deadLetter(record.key(), received, "expert-outputs-invalid", unusable);
            return;
        }
        String batchId = part.batchId();
        byte[] stored = headers.get(batchId);
        PendingBatch pending = stored == null ? PendingBatch.startedAt(context.currentSystemTimeMs())
                : PendingBatch.fromBytes(stored);
        if (part instanceof RoutingManifest manifest) {
            // A second manifest of a batch is a redelivery: the first one stands.
            if (!pending.hasManifest()) {
                takeManifest(batchId, pending, manifest, routedAround(record, manifest), received);
            }
        } else {
            takeRows(batchId, pending, (ExpertRows) part, received);
        }
    }

    /**
     * Checks the rows that came before the manifest against it (those that do not fit are dead-lettered,
     * redeliveries dropped), then completes the batch or stores the manifest.
     */
    private void takeManifest(String batchId, PendingBatch pending, RoutingManifest manifest,
                              UnavailableExperts routedAround, PendingBatch.Received received) {
        BatchReassembly reassembly = new BatchReassembly(manifest, hidden);
        PendingBatch next = pending.withManifest(manifest.createdAtMillis(), manifest.expertsWithRows().length,
                routedAround);
        List<KeyValue<String, PendingBatch.Received>> early = parts(batchId);
        List<KeyValue<String, PendingBatch.Received>> refused = new ArrayList<>();
        for (KeyValue<String, PendingBatch.Received> stored : early) {
            ExpertRows rows = (ExpertRows) BatchPart.fromBytes(stored.value.value());
            if (accept(reassembly, rows, stored.value)) {
                next = next.withAnswered(rows.expert());
            } else {
                refused.add(stored);
            }
        }
        if (reassembly.isComplete()) {
            complete(reassembly, routedAround);
            forget(batchId, early);
        } else {
            refused.forEach(p -> parts.delete(p.key));
            parts.put(PendingBatch.partKey(batchId, next.manifestPart()), received.toBytes());
            headers.put(batchId, next.toBytes());
        }
    }

    /**
     * Stores rows that fit the manifest (or await it) under their own key; completes the batch once they
     * are the last ones it waits for.
     */
    private void takeRows(String batchId, PendingBatch pending, ExpertRows rows, PendingBatch.Received received) {
        if (pending.hasManifest()) {
            if (!accept(new BatchReassembly(manifest(batchId, pending), hidden), rows, received)
                    || pending.hasAnswered(rows.expert())) {
                return;
            }
            pending = pending.withAnswered(rows.expert());
        }
        parts.put(PendingBatch.partKey(batchId, pending.parts()), received.toBytes());
        PendingBatch next = pending.withPart();
        if (next.isComplete()) {
            settle(batchId, next);
        } else {
            headers.put(batchId, next.toBytes());
        }
    }

    /** Completes the batches whose deadline has passed. */
    private void expire(long now) {
        List<KeyValue<String, PendingBatch>> expired = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = headers.all()) {
            all.forEachRemaining(entry -> {
                if (now - PendingBatch.sinceMillis(entry.value) > deadlineMs) {
                    expired.add(KeyValue.pair(entry.key, PendingBatch.fromBytes(entry.value)));
                }
            });
        }
        expired.forEach(entry -> settle(entry.key, entry.value));
    }

    /**
     * Reads the batch's parts back once and completes it: combined when it has its manifest (with the
     * slots of the experts that have not answered dropped), else dead-lettered as orphans.
     */
    private void settle(String batchId, PendingBatch pending) {
        List<KeyValue<String, PendingBatch.Received>> stored = parts(batchId);
        if (!pending.hasManifest()) {
            stored.forEach(p -> deadLetter(key(batchId), p.value, "expert-outputs-orphaned",
                    BatchReassembly.expertName(((ExpertRows) BatchPart.fromBytes(p.value.value())).expert())
                            + " sent rows for batch " + batchId + ", which got no routing manifest within "
                            + deadlineMs + " ms: a duplicate or stale output of a batch already completed (dropped),"
                            + " rows of a batch no router routed, or the manifest was lost"));
            forget(batchId, stored);
            return;
        }
        String manifestKey = PendingBatch.partKey(batchId, pending.manifestPart());
        RoutingManifest manifest = stored.stream().filter(p -> p.key.equals(manifestKey))
                .map(p -> (RoutingManifest) BatchPart.fromBytes(p.value.value())).findFirst().orElseThrow();
        BatchReassembly reassembly = new BatchReassembly(manifest, hidden);
        for (KeyValue<String, PendingBatch.Received> part : stored) {
            // Every stored row was checked against the manifest and is its expert's first.
            if (!part.key.equals(manifestKey)) {
                reassembly.accept((ExpertRows) BatchPart.fromBytes(part.value.value()));
            }
        }
        complete(reassembly, pending.unavailable());
        forget(batchId, stored);
    }

    /** The batch's stored manifest; only for a batch that has one. */
    private RoutingManifest manifest(String batchId, PendingBatch pending) {
        byte[] stored = parts.get(PendingBatch.partKey(batchId, pending.manifestPart()));
        return (RoutingManifest) BatchPart.fromBytes(PendingBatch.Received.fromBytes(stored).value());
    }

    /** The batch's stored parts, in the order they were stored. */
    private List<KeyValue<String, PendingBatch.Received>> parts(String batchId) {
        List<KeyValue<String, PendingBatch.Received>> stored = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> scan = parts.prefixScan(PendingBatch.partPrefix(batchId), PREFIX)) {
            scan.forEachRemaining(entry -> stored.add(KeyValue.pair(entry.key,
                    PendingBatch.Received.fromBytes(entry.value))));
        }
        return stored;
    }

    /** Deletes the batch's header and the parts read for it. */
    private void forget(String batchId, List<KeyValue<String, PendingBatch.Received>> stored) {
        stored.forEach(p -> parts.delete(p.key));
        headers.delete(batchId);
    }

    /**
     * Why rows can be combined into no batch of this layer, whatever its manifest: another hidden size, or a
     * value that is not finite (it would turn the tokens' outputs into NaN); {@code null} when they can.
     */
    private String unusable(ExpertRows rows) {
        String what = BatchReassembly.expertName(rows.expert()) + " sent rows for batch " + rows.batchId();
        if (rows.hidden() != hidden) {
            return what + " of hidden size " + rows.hidden() + ", the layer has " + hidden;
        }
        float[] values = rows.rows();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return what + " with the non-finite value " + values[i] + " for token " + rows.tokens()[i / hidden]
                        + " at column " + i % hidden;
            }
        }
        return null;
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

    /**
     * The router's note on the manifest's record: the experts it routed the batch around, for want of a
     * consumer. A note that does not fit the manifest is logged and left out: the batch is combined as it is.
     */
    private UnavailableExperts routedAround(Record<byte[], byte[]> record, RoutingManifest manifest) {
        Header note = record.headers().lastHeader(UnavailableExperts.HEADER);
        if (note == null) {
            return UnavailableExperts.NONE;
        }
        try {
            UnavailableExperts routedAround = UnavailableExperts.fromBytes(note.value());
            if (routedAround.slots().length != manifest.requests().size()) {
                throw new IllegalArgumentException(routedAround.slots().length + " span counts for "
                        + manifest.requests().size() + " request spans");
            }
            return routedAround;
        } catch (IllegalArgumentException e) {
            LOG.warn("batch {}: {} header left out: {}", manifest.batchId(), UnavailableExperts.HEADER, e.getMessage());
            return UnavailableExperts.NONE;
        }
    }

    /**
     * Forwards one piece per request span. A span is degraded when experts did not answer by the deadline (every
     * span of the batch: their slots are dropped), or when some of its slots were routed off experts without a
     * consumer (those spans only); its piece names the experts either way.
     */
    private void complete(BatchReassembly reassembly, UnavailableExperts routedAround) {
        RoutingManifest manifest = reassembly.manifest();
        int[] missing = reassembly.missingExperts();
        String late = missing.length == 0 ? "" : (missing.length == 1 ? "expert " : "experts ")
                + BatchReassembly.describe(missing) + " did not answer within " + deadlineMs + " ms";
        if (missing.length > 0 || !routedAround.isEmpty()) {
            metrics.degradedStep();
            LOG.warn("batch {} completed degraded: {}", manifest.batchId(), late.isEmpty()
                    ? "routed around experts " + BatchReassembly.describe(routedAround.experts()) : late);
        }
        float[] out = reassembly.combinePartial();
        long now = context.currentSystemTimeMs();
        List<RequestSpan> spans = manifest.requests();
        for (int i = 0; i < spans.size(); i++) {
            RequestSpan span = spans.get(i);
            int moved = routedAround.isEmpty() ? 0 : routedAround.slots()[i];
            List<String> reasons = new ArrayList<>();
            if (!late.isEmpty()) {
                reasons.add(late);
            }
            SortedSet<Integer> named = new TreeSet<>();
            Arrays.stream(missing).forEach(named::add);
            if (moved > 0) {
                int[] gone = routedAround.experts();
                reasons.add((gone.length == 1 ? "expert " : "experts ") + BatchReassembly.describe(gone)
                        + " had no live consumer: " + moved + " slots went to other experts");
                Arrays.stream(gone).forEach(named::add);
            }
            float[] rows = Arrays.copyOfRange(out, span.firstToken() * hidden,
                    (span.firstToken() + span.tokenCount()) * hidden);
            RequestPart.Piece piece = new RequestPart.Piece(span.requestId(), manifest.batchId(), span.requestOffset(),
                    span.tokenCount(), span.requestTokens(), hidden, manifest.policy(), manifest.capacityFactor(),
                    reassembly.counts(span), String.join("; ", reasons),
                    named.stream().mapToInt(Integer::intValue).toArray(), moved, rows);
            context.forward(new Record<>(key(span.requestId()), piece.toBytes(), now), names.piecesSink());
        }
    }

    private void deadLetter(byte[] key, PendingBatch.Received part, String reasonClass, String reason) {
        LOG.warn("dead letter from {} partition {} offset {}: {}", names.expertOutputs(), part.partition(),
                part.offset(), reason);
        ProducerRecord<byte[], byte[]> letter = deadLetters.of(names.expertOutputs(), part.partition(), part.offset(),
                key, part.value(), reasonClass, reason);
        context.forward(new Record<>(letter.key(), letter.value(), context.currentSystemTimeMs()),
                names.deadLetterSink());
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }
}
