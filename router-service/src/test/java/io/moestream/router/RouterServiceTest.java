package io.moestream.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moestream.generate.Preset;
import io.moestream.layer.GateProjection;
import io.moestream.layer.MoeLayers;
import io.moestream.model.MoeLayerWeights;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.pipeline.TopicLayout;
import io.moestream.pipeline.TopicSetup;
import io.moestream.pipeline.Topics;
import io.moestream.routing.ExpertDispatch;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.RoutingResult;
import io.moestream.routing.SpecName;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RoutingManifest;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireType;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service on a real (embedded KRaft) broker: what lands on the expert topics and on
 * {@code expert-outputs} is what the in-process router computes for the same batch.
 */
@SpringBootTest(classes = RouterApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "moe.ranks=2",
        "moe.routing.capacity-factor=1.0",
        "moe.router.trace-sample-rate=1",
        "spring.kafka.streams.properties.commit.interval.ms=20"})
@EmbeddedKafka(bootstrapServersProperty = "spring.kafka.bootstrap-servers", brokerProperties = {
        "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1"})
class RouterServiceTest {

    private static final int RANKS = 2;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path modelDir;
    /** The router's own: the default one, under /tmp, is locked by any other router running on the machine. */
    @TempDir
    static Path stateDir;
    private static MoeLayerWeights weights;
    private static KafkaProducer<String, byte[]> producer;
    private static TopicRecorder recorder;

    @Autowired
    EmbeddedKafkaBroker broker;
    @Autowired
    Topics topics;
    @Autowired
    LiveRouting live;
    @Autowired
    MeterRegistry meters;
    @Autowired
    KafkaProperties kafkaProperties;
    @LocalServerPort
    int port;

    /** Generated when the context first reads the property, after JUnit has made the directory. */
    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("moe.model.dir", RouterServiceTest::model);
        registry.add("spring.kafka.streams.state-dir", stateDir::toString);
    }

    private static synchronized Path model() {
        if (weights == null) {
            weights = TestModels.gate(TestModels.generate(Preset.MIXTRAL_LIKE, modelDir));
        }
        return modelDir;
    }

    @BeforeEach
    void connect() {
        if (producer == null) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString()),
                    new StringSerializer(), new ByteArraySerializer());
            List<String> read = new ArrayList<>();
            for (int e = 0; e < weights.numExperts(); e++) {
                read.add(topics.expert(e));
            }
            read.addAll(List.of(topics.expertOutputs(), topics.deadLetter(), topics.routerTrace()));
            recorder = new TopicRecorder(broker.getBrokersAsString(), read);
        }
    }

    @AfterAll
    static void disconnect() {
        if (producer != null) {
            producer.close();
            recorder.close();
        }
    }

    @Test
    void eachExpertReceivesExactlyTheRowsTheInProcessRouterDispatches() {
        TokenBatch batch = TestModels.batch("b-dispatch", 1, 24, weights.hidden(), 5);

        send(batch);

        assertRoutedAs(batch, configured(Map.of()));
        assertThat(meters.get(RouterMetrics.SLOTS).tag("kind", "demand").counters().stream()
                .mapToDouble(c -> c.count()).sum()).isGreaterThanOrEqualTo(24 * weights.topK());
    }

    @Test
    void aControlRecordChangesTheRoutingOfTheNextBatchAndAnInvalidOneIsRefused() {
        try {
            control("{\"policy\": \"vanilla\", \"capacity-factor\": 0.5, \"drop-order\": \"score\"}");
            await().atMost(Duration.ofSeconds(10)).until(() -> live.current().config().policy() == Policy.VANILLA);
            assertThat(meters.get(RouterMetrics.CAPACITY_FACTOR).gauge().value()).isEqualTo(0.5);

            TokenBatch batch = TestModels.batch("b-control", 0, 32, weights.hidden(), 6);
            send(batch);
            assertRoutedAs(batch, configured(Map.of("policy", "vanilla", "capacity-factor", "0.5",
                    "drop-order", "score")));

            control("{\"policy\": \"sideways\"}");
            JsonNode letter = deadLetter(ControlRecord.ROUTING_KEY, "sideways");
            assertThat(letter.get("sourceTopic").asString()).isEqualTo(topics.control());
            assertThat(live.current().config().policy()).isEqualTo(Policy.VANILLA);
        } finally {
            control(null);
            await().atMost(Duration.ofSeconds(10)).until(() -> live.current().config().policy() == Policy.TOKEN_DROP);
        }
    }

    @Test
    void aControlRecordUnderAnotherKeyIsRefusedAndChangesNothing() {
        producer.send(new ProducerRecord<>(topics.control(), "routes",
                "{\"policy\": \"vanilla\"}".getBytes(StandardCharsets.UTF_8)));
        producer.flush();

        JsonNode letter = deadLetter("routes", "control key \"routes\" sets nothing: the router reads only \"routing\"");
        assertThat(letter.get("sourceTopic").asString()).isEqualTo(topics.control());
        assertThat(live.current().config().policy()).isEqualTo(Policy.TOKEN_DROP);
    }

    @Test
    void malformedAndNonFiniteBatchesBecomeDeadLettersAndTheStreamFlowsOn() {
        byte[] garbage = {'M', 'S', 9, (byte) 0xff, 0, 1, 2};
        TokenBatch nan = TestModels.batch("b-nan", 0, 4, weights.hidden(), 8);
        nan.states()[3 * weights.hidden() + 1] = Float.NaN;
        TokenBatch after = TestModels.batch("b-after", 0, 8, weights.hidden(), 9);

        send("b-garbage", 0, garbage);
        send(nan);
        send(after);

        JsonNode malformed = deadLetter("b-garbage", "");
        assertThat(malformed.get("service").asString()).isEqualTo(DispatchProcessor.SERVICE);
        assertThat(malformed.get("sourceTopic").asString()).isEqualTo(topics.tokens());
        assertThat(malformed.get("originalEncoding").asString()).isEqualTo("base64");
        deadLetter("b-nan", "token 3, dimension 1 is NaN");
        assertRoutedAs(after, configured(Map.of()));
        assertThat(recorder.current("b-nan")).extracting(ConsumerRecord::topic).containsOnly(topics.deadLetter());
        assertThat(meters.get(RouterMetrics.DEAD_LETTERS).tag("cause", "malformed").counter().count()).isEqualTo(1);
        assertThat(meters.get(RouterMetrics.DEAD_LETTERS).tag("cause", "invalid").counter().count()).isEqualTo(1);
    }

    @Test
    void prometheusScrapesTheRoutersMeters() throws Exception {
        TokenBatch batch = TestModels.batch("b-metrics", 1, 8, weights.hidden(), 10);
        send(batch);
        assertRoutedAs(batch, configured(Map.of()));

        HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(scrape.statusCode()).isEqualTo(200);
        // Every series carries the service's name, as the gateway's and the experts' do.
        assertThat(scrape.body()).contains(
                "moe_router_slots_total{application=\"moe-router\",expert=\"0\",kind=\"demand\"}",
                "moe_router_policy{application=\"moe-router\",policy=\"token-drop\"} 1.0",
                "moe_router_capacity_factor{application=\"moe-router\"} 1.0",
                "moe_router_step_tokens_count", "moe_router_expert_straggler_count",
                "moe_router_written_bytes_total{application=\"moe-router\",record=\"dispatch\"}",
                "kafka_stream");
    }

    @Test
    void aStartingRouterAppliesTheLatestControlValueBeforeItRoutes() {
        Topics fresh = new Topics("startup.");
        KafkaClients clients = new KafkaClients(kafkaProperties, () -> List.of(broker.getBrokersAsString()));
        try (Admin admin = clients.admin()) {
            TopicSetup.ensure(admin, fresh.all(new TopicLayout(RANKS, weights.numExperts(), 0, 1)),
                    Duration.ofSeconds(10));
        }
        control(fresh, "{\"policy\": \"rectify\"}");
        control(fresh, "{\"policy\": \"expanded-drop\", \"capacity-factor\": 2}");
        control(fresh, "{\"top-k\": 99}");
        LiveRouting restarted = new LiveRouting(configured(Map.of()),
                Placement.contiguous(weights.numExperts(), RANKS));
        Placement placement = Placement.contiguous(weights.numExperts(), RANKS);
        ControlListener listener = new ControlListener(clients, fresh, restarted, new RouterMetrics(
                new SimpleMeterRegistry(), weights.numExperts(), restarted,
                new ExpertAvailability(clients, fresh, placement)), Duration.ofSeconds(10));

        listener.start();
        try {
            assertThat(restarted.current().config().policy()).isEqualTo(Policy.EXPANDED_DROP);
            assertThat(restarted.current().config().capacityFactor()).isEqualTo(2.0);
        } finally {
            listener.stop();
        }
    }

    /** Checks every record the service wrote for the batch against the in-process router under {@code config}. */
    private void assertRoutedAs(TokenBatch batch, RoutingConfig config) {
        GateProjection gate = new GateProjection(weights.hidden(), weights.numExperts(), weights.gate());
        double[][] logits = gate.logits(batch.states(), batch.tokens());
        RoutingResult expected = new Router(config, Placement.contiguous(weights.numExperts(), RANKS))
                .route(logits, batch.sourceRank());
        ExpertDispatch dispatch = expected.dispatch();
        Set<String> expectedTopics = new TreeSet<>(List.of(topics.expertOutputs(), topics.routerTrace()));
        for (int e = 0; e < weights.numExperts(); e++) {
            if (dispatch.tokens(e).length > 0) {
                expectedTopics.add(topics.expert(e));
            }
        }

        List<ConsumerRecord<String, byte[]>> records = recorder.await(batch.batchId(),
                seen -> topicsOf(seen).containsAll(expectedTopics));

        assertThat(topicsOf(records)).isEqualTo(expectedTopics);
        for (ConsumerRecord<String, byte[]> record : records) {
            if (record.topic().equals(topics.expertOutputs())) {
                assertManifest(RoutingManifest.fromBytes(record.value()), RoutingManifest.of(batch, expected,
                        SpecName.of(config.policy()), config.capacityFactor(), 0, new double[0]));
            } else if (record.topic().equals(topics.routerTrace())) {
                JsonNode line = JSON.readTree(record.value());
                assertThat(line.get("sourceRank").asInt()).isEqualTo(batch.sourceRank());
                assertThat(JSON.treeToValue(line.get("logits"), double[][].class)).isDeepEqualTo(logits);
            } else {
                assertDispatch(ExpertRows.fromBytes(record.value()), dispatch, batch);
            }
        }
    }

    private static void assertDispatch(ExpertRows rows, ExpertDispatch dispatch, TokenBatch batch) {
        int hidden = batch.hidden();
        int[] tokens = dispatch.tokens(rows.expert());
        assertThat(rows.tokens()).as("tokens of expert %d", rows.expert()).containsExactly(tokens);
        for (int i = 0; i < tokens.length; i++) {
            assertThat(bits(Arrays.copyOfRange(rows.rows(), i * hidden, (i + 1) * hidden)))
                    .as("row of token %d at expert %d", tokens[i], rows.expert())
                    .containsExactly(bits(Arrays.copyOfRange(batch.states(), tokens[i] * hidden,
                            (tokens[i] + 1) * hidden)));
        }
    }

    private static void assertManifest(RoutingManifest actual, RoutingManifest expected) {
        assertThat(actual.policy()).isEqualTo(expected.policy());
        assertThat(actual.capacityFactor()).isEqualTo(expected.capacityFactor());
        assertThat(actual.capacity()).isEqualTo(expected.capacity());
        assertThat(actual.slotStart()).containsExactly(expected.slotStart());
        assertThat(actual.slotExpert()).containsExactly(expected.slotExpert());
        assertThat(actual.slotKind()).containsExactly(expected.slotKind());
        assertThat(actual.slotWeight()).containsExactly(expected.slotWeight());
        assertThat(actual.droppedCount()).containsExactly(expected.droppedCount());
        assertThat(actual.requests()).isEqualTo(expected.requests());
    }

    /** The configuration the service runs with, {@code moe.routing.capacity-factor=1.0}, then {@code options}. */
    private static RoutingConfig configured(Map<String, String> options) {
        RoutingConfig base = RoutingSettings.apply(MoeLayers.defaultRouting(weights), Map.of("capacity-factor", "1.0"));
        return RoutingSettings.apply(base, options);
    }

    private JsonNode deadLetter(String key, String reasonPart) {
        List<ConsumerRecord<String, byte[]>> letters = recorder.await(key, seen -> seen.stream()
                .anyMatch(r -> r.topic().equals(topics.deadLetter())));
        JsonNode letter = JSON.readTree(letters.stream().filter(r -> r.topic().equals(topics.deadLetter()))
                .reduce((first, second) -> second).orElseThrow().value());
        assertThat(letter.get("reason").asString()).isNotBlank().contains(reasonPart);
        return letter;
    }

    private void send(TokenBatch batch) {
        send(batch.batchId(), batch.sourceRank(), batch.toBytes(WireType.F32));
    }

    private void send(String key, int partition, byte[] value) {
        producer.send(new ProducerRecord<>(topics.tokens(), partition, key, value));
        producer.flush();
    }

    private void control(String json) {
        control(topics, json);
    }

    private static void control(Topics deployment, String json) {
        producer.send(new ProducerRecord<>(deployment.control(), ControlRecord.ROUTING_KEY,
                json == null ? null : json.getBytes(StandardCharsets.UTF_8)));
        producer.flush();
    }

    private static Set<String> topicsOf(List<ConsumerRecord<String, byte[]>> records) {
        return records.stream().map(ConsumerRecord::topic).collect(Collectors.toCollection(TreeSet::new));
    }

    private static int[] bits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }
}
