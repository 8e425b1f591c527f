package io.moestream.router.worker;

import io.moestream.decoder.ContinuousBatch;
import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.layer.ExpertExecutor;
import io.moestream.pipeline.KafkaExperts;
import io.moestream.pipeline.Topics;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import io.moestream.text.ModelTokenizer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dense worker of one source rank: takes completion requests from {@code prompts}, runs them
 * with continuous batching on a whole model whose MoE layers' experts are on the expert services
 * (attention, norms, gate, routing, combine and the KV cache stay here), writes each token to
 * {@code completion-stream} as it is chosen and one result per request to {@code results}.
 *
 * <p>A request's offset is committed once its result is acknowledged, and a partition's committed
 * offset never passes a request still running: a worker that dies leaves its unfinished requests to
 * the member that takes its partitions. That one reads what was streamed for them ({@link TakeoverLog}),
 * computes them again from their prompt and those tokens, and streams only the tokens after them; a
 * request whose result was written is not computed again. The KV cache is never written to Kafka. See
 * docs/PIPELINE.md, "Whole models".
 */
public final class DenseWorker implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DenseWorker.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(50);
    /**
     * How long a silent worker keeps its partitions of {@code prompts}: a worker that died has its requests
     * computed again by another this long after; one restarted sooner gets them back itself.
     */
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(15);

    private final Topics topics;
    private final ContinuousBatch<String> batch;
    private final ModelTokenizer tokenizer;
    private final DecoderEngine engine;
    private final Placement placement;
    private final ExpertExecutor experts;
    private final Supplier<RoutingConfig> routing;
    private final int maxPromptTokens;
    private final int maxRunning;
    private final int rank;
    private final KafkaConsumer<byte[], byte[]> requests;
    private final KafkaProducer<byte[], byte[]> producer;
    private final TakeoverLog takeover;
    /**
     * Per partition taken over, its end offset when it was assigned: requests below it may have been started
     * by an earlier owner.
     */
    private final Map<TopicPartition, Long> takenOverBelow = new HashMap<>();
    private final Map<String, Completion> running = new LinkedHashMap<>();
    private final Map<String, Long> offsetOf = new HashMap<>();
    private final Map<String, TopicPartition> partitionOf = new HashMap<>();
    /** Per partition, the offsets of requests taken and not yet answered, and the next offset to read. */
    private final Map<TopicPartition, TreeSet<Long>> inFlight = new HashMap<>();
    private final Map<TopicPartition, Long> nextOffset = new HashMap<>();
    private final WorkerMetrics metrics;
    private volatile boolean stopped;
    private volatile boolean crashed;
    private volatile Set<TopicPartition> serves = Set.of();
    private final CountDownLatch serving = new CountDownLatch(1);
    /** A request was answered since the last commit: its offset may move. */
    private boolean answered;

    /**
     * @param engine the whole model, whose MoE layers' experts {@code experts} computes (on the expert services)
     * @param routing the routing in force, read before each step: a new one applies from that step on
     * @param tokenizer the model's tokenizer, or {@code null} when requests must give token ids
     * @param maxRunning the most sequences in the batch; more requests wait in Kafka
     */
    public DenseWorker(String bootstrapServers, Topics topics, String instanceId, DecoderEngine engine,
                       Placement placement, ExpertExecutor experts, Supplier<RoutingConfig> routing, int rank,
                       ModelTokenizer tokenizer, int maxPromptTokens, int maxRunning, WorkerMetrics metrics) {
        this.topics = topics;
        this.engine = engine;
        this.placement = placement;
        this.experts = experts;
        this.routing = routing;
        this.batch = new ContinuousBatch<>(model(routing.get()), rank);
        this.tokenizer = tokenizer;
        this.maxPromptTokens = maxPromptTokens;
        this.maxRunning = maxRunning;
        this.rank = rank;
        this.metrics = metrics;
        Properties consumerConfig = new Properties();
        consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, topics.prefix() + "dense-workers");
        consumerConfig.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        consumerConfig.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) SESSION_TIMEOUT.toMillis());
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxRunning);
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, instanceId + "-requests");
        this.requests = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Properties producerConfig = new Properties();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, instanceId + "-results");
        this.producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        this.takeover = new TakeoverLog(bootstrapServers, topics, instanceId + "-takeover");
    }

    @Override
    public void run() {
        requests.subscribe(List.of(topics.prompts()), new Rebalance());
        try {
            while (!stopped) {
                if (batch.size() >= maxRunning) {
                    requests.pause(requests.assignment());
                } else {
                    requests.resume(requests.paused());
                }
                take(requests.poll(batch.isEmpty() ? IDLE_POLL : Duration.ZERO));
                if (!batch.isEmpty()) {
                    step();
                }
                if (answered) {
                    commit();
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            if (!stopped) {
                throw e;
            }
        } finally {
            if (crashed) {
                producer.close(Duration.ZERO);
            } else {
                producer.flush();
                commit();
                producer.close();
            }
            // A static member does not leave its group on close: its partitions wait out the session.
            requests.close();
            takeover.close();
        }
    }

    private void take(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> taken = records.records(partition);
            Map<String, TakeoverLog.Written> written = writtenBefore(partition, taken);
            for (ConsumerRecord<byte[], byte[]> record : taken) {
                take(partition, record, written);
            }
        }
    }

    /** What earlier owners of {@code partition} wrote for the requests of {@code taken} they may have started. */
    private Map<String, TakeoverLog.Written> writtenBefore(TopicPartition partition,
                                                           List<ConsumerRecord<byte[], byte[]>> taken) {
        Long below = takenOverBelow.get(partition);
        if (below == null) {
            return Map.of();
        }
        if (taken.get(taken.size() - 1).offset() + 1 >= below) {
            takenOverBelow.remove(partition);
        }
        OptionalLong oldest = taken.stream().filter(r -> r.offset() < below).mapToLong(ConsumerRecord::timestamp).min();
        return oldest.isPresent() ? takeover.read(partition.partition(), oldest.getAsLong()) : Map.of();
    }

    private void take(TopicPartition partition, ConsumerRecord<byte[], byte[]> record,
                      Map<String, TakeoverLog.Written> written) {
        nextOffset.put(partition, record.offset() + 1);
        String keyId = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        long now = System.nanoTime();
        try {
            CompletionRequest request = CompletionRequest.parse(record.value(), keyId, tokenizer,
                    batch.model().config().vocabSize(), Math.min(maxPromptTokens,
                            batch.model().config().maxPositionEmbeddings()));
            if (running.containsKey(request.id())) {
                throw new CompletionRequest.BadRequestException(request.id(), "request " + request.id()
                        + " is already running");
            }
            TakeoverLog.Written before = written.get(request.id());
            if (answeredBefore(written, request.id())) {
                LOG.info("request {} at {}@{} was answered by an earlier owner", request.id(), partition,
                        record.offset());
                answered = true;
                return;
            }
            Completion completion = new Completion(request, tokenizer, now);
            if (before != null) {
                completion.restore(before.streamed());
                LOG.info("request {} goes on after the {} tokens an earlier owner streamed", request.id(),
                        completion.generated());
            }
            if (!completion.finished()) {
                batch.add(request.id(), completion.batchRequest(batch.model().config().eosTokenIds()));
            }
            running.put(request.id(), completion);
            offsetOf.put(request.id(), record.offset());
            partitionOf.put(request.id(), partition);
            inFlight.computeIfAbsent(partition, p -> new TreeSet<>()).add(record.offset());
            metrics.accepted();
            if (completion.finished()) {
                completion.count(SpecName.of(batch.model().routing().policy()), List.of(), 0, 0);
                finish(request.id(), completion, now);
            }
        } catch (CompletionRequest.BadRequestException | IllegalArgumentException e) {
            String id = e instanceof CompletionRequest.BadRequestException bad && bad.id() != null ? bad.id()
                    : keyId != null ? keyId : record.topic() + "-" + record.partition() + "@" + record.offset();
            answered = true;
            if (answeredBefore(written, id)) {
                return;
            }
            LOG.warn("completion request {} at {}-{}@{} refused: {}", id, record.topic(), record.partition(),
                    record.offset(), e.getMessage());
            producer.send(new ProducerRecord<>(topics.results(), partition.partition(), key(id),
                    Completion.error(id, e.getMessage())));
            metrics.refused();
        }
    }

    private static boolean answeredBefore(Map<String, TakeoverLog.Written> written, String id) {
        TakeoverLog.Written before = written.get(id);
        return before != null && before.answered();
    }

    private DecoderModel model(RoutingConfig config) {
        return engine.model(config, placement, experts);
    }

    private void step() {
        RoutingConfig config = routing.get();
        if (!config.equals(batch.model().routing())) {
            LOG.info("dense worker of rank {} routes under {} from this step on", rank, config);
            batch.use(model(config));
        }
        long start = System.nanoTime();
        ContinuousBatch.Step<String> step;
        try {
            step = batch.step();
        } catch (KafkaExperts.ExpertsUnavailableException e) {
            // Nothing advanced: the next loop runs the same step again, once the experts are back.
            LOG.warn("step of {} sequences waits for the experts: {}", batch.size(), e.getMessage());
            metrics.stalled();
            return;
        }
        long now = System.nanoTime();
        metrics.step(step, now - start);
        String policy = SpecName.of(batch.model().routing().policy());
        for (ContinuousBatch.Event<String> event : step.events()) {
            Completion completion = running.get(event.tag());
            completion.count(policy, step.routing(), event.firstRow(), event.rows());
            boolean first = completion.generated() == 0;
            String added = completion.take(event, now);
            if (event.token() >= 0) {
                producer.send(new ProducerRecord<>(topics.completionStream(), partitionOf.get(event.tag()).partition(),
                        key(event.tag()),
                        completion.streamRecord(event.token(), event.logprob(), added)));
                metrics.token(first, completion);
            }
            if (completion.finished()) {
                batch.remove(event.tag());
                finish(event.tag(), completion, now);
            }
        }
    }

    private void finish(String id, Completion completion, long now) {
        running.remove(id);
        long offset = offsetOf.remove(id);
        TopicPartition partition = partitionOf.remove(id);
        producer.send(new ProducerRecord<>(topics.results(), partition.partition(), key(id), completion.result(rank, now)),
                (metadata, error) -> {
                    if (error != null) {
                        LOG.error("the result of {} was not written; its request stays uncommitted", id, error);
                    }
                });
        // The offset is released once the result is in Kafka: commit() flushes before committing.
        TreeSet<Long> offsets = inFlight.get(partition);
        if (offsets != null) {
            offsets.remove(offset);
        }
        metrics.finished(completion);
        answered = true;
    }

    /** Commits, per partition, up to the oldest request still running, after what was written is acknowledged. */
    private void commit() {
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        nextOffset.forEach((partition, next) -> {
            TreeSet<Long> offsets = inFlight.get(partition);
            long upTo = offsets == null || offsets.isEmpty() ? next : offsets.first();
            commits.put(partition, new OffsetAndMetadata(upTo));
        });
        answered = false;
        if (!commits.isEmpty()) {
            producer.flush();
            requests.commitSync(commits);
            nextOffset.keySet().removeIf(p -> inFlight.getOrDefault(p, new TreeSet<>()).isEmpty());
        }
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    /** Partitions taken away: their requests are another member's now, which computes them again. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commit();
            drop(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            takenOverBelow.putAll(requests.endOffsets(partitions));
            serves = Set.copyOf(requests.assignment());
            LOG.info("dense worker of rank {} serves {}", rank, serves);
            if (!requests.assignment().isEmpty()) {
                serving.countDown();
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            drop(partitions);
        }

        private void drop(Collection<TopicPartition> partitions) {
            Set<TopicPartition> gone = Set.copyOf(partitions);
            serves = serves.stream().filter(p -> !gone.contains(p)).collect(Collectors.toUnmodifiableSet());
            partitionOf.entrySet().removeIf(entry -> {
                if (gone.contains(entry.getValue())) {
                    batch.remove(entry.getKey());
                    running.remove(entry.getKey());
                    offsetOf.remove(entry.getKey());
                    return true;
                }
                return false;
            });
            gone.forEach(p -> {
                takenOverBelow.remove(p);
                inFlight.remove(p);
                nextOffset.remove(p);
            });
        }
    }

    /** Waits until the group has given this worker partitions of {@code prompts}; false on time-out. */
    public boolean awaitServing(Duration timeout) throws InterruptedException {
        return serving.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the group has given this worker partition {@code partition} of {@code prompts}. */
    public boolean serves(int partition) {
        return serves.contains(new TopicPartition(topics.prompts(), partition));
    }

    /**
     * Stops as a crash would, for the fault tests: after the current step, without committing, flushing or
     * leaving the group, so that another worker computes its requests again once the session times out.
     */
    public void crash() {
        crashed = true;
        close();
    }

    /** Stops the loop after its current step; {@link #run} then commits and closes. */
    @Override
    public void close() {
        stopped = true;
        requests.wakeup();
    }
}
