package io.moestream.expert.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moestream.expert.JavaExpertKernel;
import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.model.Checkpoint;
import io.moestream.model.ModelConfig;
import io.moestream.model.MoeLayerLoader;
import io.moestream.pipeline.TopicLayout;
import io.moestream.pipeline.Topics;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.WireType;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service for rank 0 of 2 (experts 0-3 of the tiny Mixtral-like model) against a real broker. Each test
 * has its own topic prefix, hence its own topics and consumer group.
 */
@EmbeddedKafka(count = 1, brokerProperties = {"transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1"})
class ExpertServiceTest {

    private static final int RANKS = 2;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path model;
    private static int hidden;
    private static TopicLayout layout;
    private static JavaExpertKernel reference;

    private final String bootstrap;
    private final TestKafka kafka;

    ExpertServiceTest(EmbeddedKafkaBroker broker) {
        this.bootstrap = broker.getBrokersAsString();
        this.kafka = new TestKafka(bootstrap);
    }

    @BeforeAll
    static void generateModel() {
        ModelGenerator.generate(ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY).withVocabSize(512), model);
        ModelConfig config = ModelConfig.read(model).orElseThrow();
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            reference = new JavaExpertKernel(MoeLayerLoader.load(checkpoint, config, 0).experts());
        }
        hidden = config.hiddenSize();
        layout = new TopicLayout(RANKS, config.numExperts(), 0, 1);
    }

    @AfterAll
    static void closeReference() {
        reference.close();
    }

    @AfterEach
    void closeKafka() {
        kafka.close();
    }

    @Test
    void publishesWhatTheJavaKernelComputesAndShowsTheBackend() throws Exception {
        Topics topics = topics("compute.");
        List<ExpertRows> dispatches = List.of(Dispatches.random("b1", 0, 3, hidden, 1),
                Dispatches.random("b1", 1, 2, hidden, 2), Dispatches.random("b2", 0, 5, hidden, 3),
                Dispatches.random("b2", 1, 1, hidden, 4), Dispatches.random("b3", 0, 4, hidden, 5));
        dispatches.forEach(d -> send(topics, d));

        try (ConfigurableApplicationContext service = start(topics, "--moe.expert.backend=cpu")) {
            List<ExpertRows> outputs = outputs(topics, dispatches.size());

            assertThat(outputs).hasSize(dispatches.size());
            Map<String, ExpertRows> byPart = outputs.stream().collect(Collectors.toMap(ExpertServiceTest::part,
                    Function.identity()));
            for (ExpertRows dispatch : dispatches) {
                ExpertRows output = byPart.get(part(dispatch));
                assertThat(output.tokens()).isEqualTo(dispatch.tokens());
                assertThat(output.computeNanos()).isPositive();
                assertMatchesReference(dispatch, output);
            }
            String metrics = get(service, "/actuator/prometheus");
            assertThat(metrics).contains("moe_expert_backend{", "moe_expert_rows_total{", "moe_expert_busy_seconds_count{",
                    "moe_expert_wire_bytes_total{", "moe_expert_batch_records_count{", "application=\"moe-expert\"");
            assertThat(get(service, "/actuator/health")).contains("\"expertBackend\"", "\"requested\":\"cpu\"",
                    "\"reason\"");
        }
    }

    @Test
    void sendsBadRecordsToTheDeadLetterTopicAndGoesOn() throws Exception {
        Topics topics = topics("dead.");
        ExpertRows nan = Dispatches.random("nan", 1, 2, hidden, 1);
        nan.rows()[3] = Float.POSITIVE_INFINITY;
        kafka.send(topics.expert(0), "garbage", "not a dispatch".getBytes(StandardCharsets.UTF_8));
        send(topics, topics.expert(0), Dispatches.random("elsewhere", 5, 1, hidden, 2));
        send(topics, topics.expert(1), nan);
        send(topics, topics.expert(0), Dispatches.random("narrow", 0, 1, hidden / 2, 3));
        ExpertRows good = Dispatches.random("good", 0, 2, hidden, 4);
        send(topics, good);

        try (ConfigurableApplicationContext service = start(topics, "--moe.expert.backend=java")) {
            List<ExpertRows> outputs = outputs(topics, 1);
            List<JsonNode> letters = kafka.readCommitted(topics.deadLetter(), 4, WAIT).stream()
                    .map(r -> JSON.readTree(r.value())).toList();

            assertThat(outputs).extracting(ExpertRows::batchId).containsExactly("good");
            assertMatchesReference(good, outputs.get(0));
            assertThat(letters).extracting(l -> l.get("reason").asString()).satisfiesExactlyInAnyOrder(
                    reason -> assertThat(reason).startsWith("undecodable"),
                    reason -> assertThat(reason).startsWith("expert 5 is not hosted here"),
                    reason -> assertThat(reason).startsWith("non-finite value Infinity"),
                    reason -> assertThat(reason).startsWith("hidden size " + hidden / 2));
            assertThat(letters).allSatisfy(letter -> {
                assertThat(letter.get("service").asString()).isEqualTo("expert-r0");
                assertThat(letter.get("original").asString()).isNotEmpty();
            });
            assertThat(get(service, "/actuator/prometheus")).contains("moe_expert_dead_letters_total{");
        }
    }

    @Test
    void aRestartNeitherLosesNorDoublesOutputs() throws Exception {
        Topics topics = topics("restart.");
        int count = 60;
        CompletableFuture<Void> router;
        // Small polls make many transactions, and the router keeps sending while the service stops and starts.
        try (ConfigurableApplicationContext first = start(topics, "--moe.expert.max-poll-records=2")) {
            router = CompletableFuture.runAsync(() -> IntStream.range(0, count).forEach(i -> {
                send(topics, Dispatches.random("r-" + i, i % 2, 1 + i % 3, hidden, i));
                pause(50);
            }));
            kafka.awaitCommitted(topics.expertOutputs(), 10, WAIT);
        }
        try (ConfigurableApplicationContext second = start(topics, "--moe.expert.max-poll-records=2")) {
            router.get();
            List<ExpertRows> outputs = outputs(topics, count);

            Map<String, Long> perBatch = outputs.stream()
                    .collect(Collectors.groupingBy(ExpertRows::batchId, Collectors.counting()));
            assertThat(perBatch).hasSize(count).allSatisfy((batch, times) -> assertThat(times).isOne());
        }
    }

    private Topics topics(String prefix) {
        Topics topics = new Topics(prefix);
        kafka.createTopics(topics, layout);
        return topics;
    }

    private ConfigurableApplicationContext start(Topics topics, String... extra) {
        List<String> args = new ArrayList<>(List.of("--spring.kafka.bootstrap-servers=" + bootstrap,
                "--server.port=0", "--moe.model.dir=" + model, "--moe.ranks=" + RANKS, "--moe.expert.rank=0",
                "--moe.expert.threads=1", "--moe.topics.prefix=" + topics.prefix(),
                // Reactor Netty's default 2 s quiet period would slow every restart.
                "--spring.reactor.netty.shutdown-quiet-period=0s"));
        args.addAll(List.of(extra));
        return ExpertServiceApplication.application().run(args.toArray(String[]::new));
    }

    private void send(Topics topics, ExpertRows dispatch) {
        send(topics, topics.expert(dispatch.expert()), dispatch);
    }

    private void send(Topics topics, String topic, ExpertRows dispatch) {
        kafka.send(topic, dispatch.batchId(), dispatch.toBytes(WireType.F32));
    }

    private List<ExpertRows> outputs(Topics topics, int atLeast) {
        return kafka.readCommitted(topics.expertOutputs(), atLeast, WAIT).stream().map(record -> {
            ExpertRows rows = ExpertRows.fromBytes(record.value());
            assertThat(record.key()).as("key").isEqualTo(rows.batchId());
            return rows;
        }).toList();
    }

    private static void assertMatchesReference(ExpertRows dispatch, ExpertRows output) {
        float[] expected = new float[dispatch.rows().length];
        reference.forward(dispatch.expert(), dispatch.rows(), dispatch.tokens().length, expected);
        float scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertThat(output.rows()).containsExactly(expected, within(1e-4f * scale));
    }

    private static String part(ExpertRows rows) {
        return rows.batchId() + "/" + rows.expert();
    }

    private static String get(ConfigurableApplicationContext service, String path)
            throws IOException, InterruptedException {
        String port = service.getEnvironment().getProperty("local.server.port");
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
