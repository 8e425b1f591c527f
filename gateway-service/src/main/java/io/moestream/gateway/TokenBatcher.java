package io.moestream.gateway;

import io.moestream.wire.RequestSpan;
import io.moestream.wire.TokenBatch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Packs prompts into token batches, one open batch per source rank: requests go round-robin over the
 * ranks, a batch is sent when it holds {@code max-tokens-per-step} tokens or {@code linger-ms} after
 * it was opened, and a prompt longer than the room left continues in the rank's next batches
 * ({@link RequestSpan} offsets). Rank {@code r}'s batches go to partition {@code r} of {@code tokens}.
 * Each request is registered on {@code gateway.requests} before its first token is sent.
 * {@link #submit} says when Kafka has acknowledged everything a prompt became, so that its source
 * can be let go only then.
 */
public final class TokenBatcher {

    private static final Pattern BATCH_ID = Pattern.compile("(.*)-r\\d+-\\d+");

    private final Producer<byte[], byte[]> producer;
    private final Serializer<TokenBatch> serializer;
    private final String tokensTopic;
    private final String requestsTopic;
    private final String instanceId;
    private final int maxTokens;
    private final long lingerMs;
    private final int hidden;
    private final ScheduledExecutorService timer;
    private final GatewayMetrics metrics;
    private final OpenBatch[] open;
    private final long[] sequence;
    private int nextRank;

    public TokenBatcher(Producer<byte[], byte[]> producer, Serializer<TokenBatch> serializer, String tokensTopic,
                        String requestsTopic, GatewaySettings settings, int ranks, int hidden,
                        ScheduledExecutorService timer, GatewayMetrics metrics) {
        this.producer = producer;
        this.serializer = serializer;
        this.tokensTopic = tokensTopic;
        this.requestsTopic = requestsTopic;
        this.instanceId = settings.instanceId();
        this.maxTokens = settings.maxTokensPerStep();
        this.lingerMs = settings.lingerMs();
        this.hidden = hidden;
        this.timer = timer;
        this.metrics = metrics;
        this.open = new OpenBatch[ranks];
        this.sequence = new long[ranks];
    }

    /**
     * Registers the request and queues its tokens on the next rank.
     *
     * @return completes when the registration and every batch carrying the prompt's tokens are
     *         acknowledged, exceptionally when one of those sends failed
     */
    public synchronized CompletableFuture<Void> submit(EncodedPrompt prompt) {
        int tokens = prompt.tokens().length;
        RequestPart.Registration registration = new RequestPart.Registration(prompt.id(), prompt.acceptedAtMillis(),
                prompt.returnOutputs(), tokens, hidden, instanceId);
        List<CompletableFuture<Void>> sends = new ArrayList<>(List.of(AcknowledgedSends.send(producer,
                new ProducerRecord<>(requestsTopic, key(prompt.id()), registration.toBytes()))));
        int rank = nextRank;
        nextRank = (nextRank + 1) % open.length;
        for (int offset = 0; offset < tokens; ) {
            OpenBatch batch = openBatch(rank);
            int count = Math.min(tokens - offset, maxTokens - batch.tokens);
            batch.spans.add(new RequestSpan(prompt.id(), batch.tokens, count, offset, tokens));
            System.arraycopy(prompt.states(), offset * hidden, batch.states, batch.tokens * hidden, count * hidden);
            batch.tokens += count;
            offset += count;
            sends.add(batch.acked);
            if (batch.tokens == maxTokens) {
                flush(rank);
            }
        }
        return CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new));
    }

    private OpenBatch openBatch(int rank) {
        if (open[rank] == null) {
            long seq = sequence[rank]++;
            open[rank] = new OpenBatch(batchId(instanceId, rank, seq), seq, System.currentTimeMillis(),
                    new float[maxTokens * hidden]);
            if (lingerMs > 0) {
                timer.schedule(() -> flushIfOpen(rank, seq), lingerMs, TimeUnit.MILLISECONDS);
            } else {
                timer.execute(() -> flushIfOpen(rank, seq));
            }
        }
        return open[rank];
    }

    /** The linger timer of batch {@code seq}: sends it unless it was already sent full. */
    private synchronized void flushIfOpen(int rank, long seq) {
        if (open[rank] != null && open[rank].sequence == seq) {
            flush(rank);
        }
    }

    /** Sends every open batch now, for a shutdown. */
    public synchronized void flushAll() {
        for (int rank = 0; rank < open.length; rank++) {
            if (open[rank] != null) {
                flush(rank);
            }
        }
    }

    private void flush(int rank) {
        OpenBatch batch = open[rank];
        open[rank] = null;
        TokenBatch tokenBatch = new TokenBatch(batch.batchId, rank, batch.createdAtMillis, batch.spans, hidden,
                Arrays.copyOf(batch.states, batch.tokens * hidden));
        byte[] bytes = serializer.serialize(tokensTopic, tokenBatch);
        AcknowledgedSends.send(producer, new ProducerRecord<>(tokensTopic, rank, key(batch.batchId), bytes),
                batch.acked);
        metrics.batchSent(batch.tokens, bytes.length);
    }

    /** {@code <attempt>-r<rank>-<sequence>}, where the attempt is a gateway's prefix for this start. */
    static String batchId(String attempt, int rank, long sequence) {
        return attempt + "-r" + rank + "-" + sequence;
    }

    /** The attempt of a batch id made by {@link #batchId}; another id is its own attempt. */
    static String attemptOf(String batchId) {
        Matcher id = BATCH_ID.matcher(batchId);
        return id.matches() ? id.group(1) : batchId;
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    /** The batch being filled on one rank. */
    private static final class OpenBatch {
        final String batchId;
        final long sequence;
        final long createdAtMillis;
        final float[] states;
        final List<RequestSpan> spans = new ArrayList<>();
        /** Completes when Kafka acknowledges the batch, after it is sent. */
        final CompletableFuture<Void> acked = new CompletableFuture<>();
        int tokens;

        OpenBatch(String batchId, long sequence, long createdAtMillis, float[] states) {
            this.batchId = batchId;
            this.sequence = sequence;
            this.createdAtMillis = createdAtMillis;
            this.states = states;
        }
    }
}
