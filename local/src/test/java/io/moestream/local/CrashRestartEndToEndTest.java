package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.expert.service.ExpertServiceApplication;
import io.moestream.generate.Preset;
import io.moestream.pipeline.TopicSetup;
import io.moestream.pipeline.Topics;
import io.moestream.router.RouterApplication;
import io.moestream.wire.BatchPart;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.RoutingManifest;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Services killed with SIGKILL and started again, each as a process of its own on an in-process broker. The
 * killed process's session timeout and transaction timeout are set far beyond what the test waits, so that
 * only what the new instance does itself can resume the work in time: come back as the same static member to
 * get its partitions, and under the same transactional id to fence its predecessor and abort the transaction
 * the crash left open.
 */
class CrashRestartEndToEndTest {

    /** Neither a session nor a transaction of the killed process may expire within the test. */
    private static final String NEVER_MS = "600000";
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final int BATCHES = 5;
    /** Outside the temporary directory, so that a failure's logs stay for a look. */
    private static final Path LOGS = Path.of("target", "crash-restart-logs");

    @TempDir
    static Path work;
    private static LocalBroker broker;
    private static LocalModel model;

    @BeforeAll
    static void start() throws IOException {
        Files.createDirectories(LOGS);
        broker = new LocalBroker(0).start();
        model = LocalModel.generate(Preset.MIXTRAL_LIKE);
    }

    @AfterAll
    static void stop() {
        model.close();
        broker.close();
    }

    @Test
    void aRouterKilledInATransactionFencesItWhenItComesBack() {
        Topics topics = topics("crash-router.");
        Map<String, String> router = service(topics, "router-state");
        router.put("spring.kafka.streams.properties.producer.transaction.timeout.ms", NEVER_MS);
        router.put("spring.kafka.streams.properties.session.timeout.ms", NEVER_MS);
        List<String> batches = IntStream.range(0, BATCHES).mapToObj(i -> "batch-" + i).toList();

        Map<String, String> neverCommits = new LinkedHashMap<>(router);
        neverCommits.put("spring.kafka.streams.properties.commit.interval.ms", NEVER_MS);
        try (ServiceProcess first = ServiceProcess.start("router-1", RouterApplication.class, LOGS, neverCommits)) {
            batches.forEach(id -> send(topics.tokens(), id, tokenBatch(id).toBytes(WireType.F32)));
            assertThat(manifests(topics, batches, "read_uncommitted"))
                    .as("batches routed by %s, in its open transaction", first).containsOnlyKeys(batches);
            assertThat(manifests(topics, List.of(), "read_committed")).as("committed manifests").isEmpty();
            first.kill();
        }
        try (ServiceProcess second = ServiceProcess.start("router-2", RouterApplication.class, LOGS, router)) {
            // Committed manifests of the new router lie behind the crashed one's records: read_committed readers
            // see them only once that transaction is aborted.
            Map<String, Integer> routed = manifests(topics, batches, "read_committed");
            assertThat(routed).as("committed manifests per batch after %s took over", second)
                    .isEqualTo(counts(batches, 1));
        }
    }

    @Test
    void anExpertServiceKilledAndStartedAgainGetsItsPartitionsBackAtOnce() {
        Topics topics = topics("crash-expert.");
        Map<String, String> expert = service(topics, "expert-state");
        expert.put("moe.expert.rank", "0");
        expert.put("moe.expert.backend", "java");
        expert.put("spring.kafka.consumer.properties.session.timeout.ms", NEVER_MS);
        expert.put("spring.kafka.producer.properties.transaction.timeout.ms", NEVER_MS);
        List<String> before = IntStream.range(0, BATCHES).mapToObj(i -> "before-" + i).toList();
        List<String> after = IntStream.range(0, BATCHES).mapToObj(i -> "after-" + i).toList();

        try (ServiceProcess first = ServiceProcess.start("expert-1", ExpertServiceApplication.class, LOGS, expert)) {
            before.forEach(id -> send(topics.expert(0), id, dispatch(id).toBytes(WireType.F32)));
            assertThat(outputs(topics, before)).as("outputs of %s", first).containsOnlyKeys(before);
            first.kill();
        }
        try (ServiceProcess second = ServiceProcess.start("expert-2", ExpertServiceApplication.class, LOGS, expert)) {
            after.forEach(id -> send(topics.expert(0), id, dispatch(id).toBytes(WireType.F32)));
            List<String> all = new ArrayList<>(before);
            all.addAll(after);
            assertThat(outputs(topics, all)).as("outputs per batch once %s took over", second)
                    .isEqualTo(counts(all, 1));
        }
    }

    /** The topics under {@code prefix}, created for one rank. */
    private static Topics topics(String prefix) {
        Topics topics = new Topics(prefix);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            TopicSetup.ensure(admin, topics.all(model.layout(1)), Duration.ofSeconds(60));
        }
        return topics;
    }

    /** What a service of this test runs with: one rank, this model and broker, a state directory of its own. */
    private static Map<String, String> service(Topics topics, String stateDir) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("server.port", "0");
        properties.put("spring.kafka.bootstrap-servers", broker.bootstrapServers());
        properties.put("spring.kafka.streams.state-dir", work.resolve(stateDir).toString());
        properties.put("moe.topics.prefix", topics.prefix());
        properties.put("moe.model.dir", model.dir().toString());
        properties.put("moe.ranks", "1");
        properties.put("spring.main.banner-mode", "off");
        return properties;
    }

    private static TokenBatch tokenBatch(String id) {
        int tokens = 4;
        return new TokenBatch(id, 0, System.currentTimeMillis(),
                List.of(new RequestSpan("request-" + id, 0, tokens, 0, tokens)), hidden(), gaussian(tokens, id));
    }

    private static ExpertRows dispatch(String id) {
        int rows = 3;
        return new ExpertRows(id, 0, 0, new int[] {0, 1, 2}, hidden(), gaussian(rows, id), 0);
    }

    private static int hidden() {
        return model.config().hiddenSize();
    }

    private static float[] gaussian(int rows, String seed) {
        SplittableRandom random = new SplittableRandom(seed.hashCode());
        float[] states = new float[rows * hidden()];
        for (int i = 0; i < states.length; i++) {
            states[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return states;
    }

    private static void send(String topic, String key, byte[] value) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8), value)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot send to " + topic, e.getCause());
        }
    }

    /**
     * The routing manifests per batch id on {@code expert-outputs} at {@code isolation}, read from the start
     * until every batch of {@code awaited} has one or the test's patience is spent, then to the end.
     */
    private static Map<String, Integer> manifests(Topics topics, List<String> awaited, String isolation) {
        return parts(topics, awaited, isolation, part -> part instanceof RoutingManifest);
    }

    /** The committed expert outputs per batch id, read as {@link #manifests} reads manifests. */
    private static Map<String, Integer> outputs(Topics topics, List<String> awaited) {
        return parts(topics, awaited, "read_committed", part -> part instanceof ExpertRows);
    }

    private static Map<String, Integer> parts(Topics topics, List<String> awaited, String isolation,
                                              Predicate<BatchPart> counted) {
        Map<String, Integer> found = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.expertOutputs()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (!found.keySet().containsAll(awaited) && System.nanoTime() < deadline) {
                poll(consumer, counted, found);
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                poll(consumer, counted, found);
            }
        }
        return found;
    }

    private static void poll(KafkaConsumer<byte[], byte[]> consumer, Predicate<BatchPart> counted,
                             Map<String, Integer> found) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            BatchPart part = BatchPart.fromBytes(record.value());
            if (counted.test(part)) {
                found.merge(part.batchId(), 1, Integer::sum);
            }
        }
    }

    private static Map<String, Integer> counts(List<String> ids, int count) {
        Map<String, Integer> counts = new HashMap<>();
        ids.forEach(id -> counts.put(id, count));
        return counts;
    }
}
