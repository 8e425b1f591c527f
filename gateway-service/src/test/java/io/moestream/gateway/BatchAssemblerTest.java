package io.moestream.gateway;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moestream.layer.BatchReassembly;
import io.moestream.pipeline.Topics;
import io.moestream.pipeline.UnavailableExperts;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.RoutingManifest;
import io.moestream.wire.WireType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Batch reassembly alone, in a {@link TopologyTestDriver}: a batch of many experts (as OLMoE's 64)
 * whose parts come in any order, redelivered or not fitting, is combined as {@link BatchReassembly}
 * combines it, and every part is written to the store once, whatever the number of parts.
 */
class BatchAssemblerTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** OLMoE's experts and top-k, with a small hidden size. */
    private static final int EXPERTS = 64;
    private static final int TOP_K = 8;
    private static final int HIDDEN = 4;
    private static final int TOKENS = 48;
    private static final long DEADLINE_MS = 1000;

    final Topics topics = new Topics("t.");
    final GatewayTopics gatewayTopics = new GatewayTopics(topics);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> outputs;
    final TestOutputTopic<byte[], byte[]> pieces;
    final TestOutputTopic<byte[], byte[]> deadLetters;
    final TestOutputTopic<byte[], byte[]> partsChangelog;
    final TestOutputTopic<byte[], byte[]> headersChangelog;
    final Random random = new Random(42);
    /** The driver's wall clock at the start; manifests are made then, so the deadline counts from the driver's time. */
    final long start = System.currentTimeMillis();

    BatchAssemblerTest() {
        GatewayMetrics metrics = new GatewayMetrics(registry);
        GatewaySettings settings = new GatewaySettings(8, 5, DEADLINE_MS, 30_000, 64, 100, "gw", null);
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "t.gateway");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(StreamsConfig.STATE_DIR_CONFIG, TestModel.tempDir("batch-assembler-state").toString());
        driver = new TopologyTestDriver(ReassemblyTopology.build(topics, gatewayTopics, HIDDEN, settings,
                new DeadLetters(topics, metrics), metrics), config, Instant.ofEpochMilli(start));
        ByteArraySerializer out = new ByteArraySerializer();
        ByteArrayDeserializer in = new ByteArrayDeserializer();
        outputs = driver.createInputTopic(topics.expertOutputs(), out, out);
        pieces = driver.createOutputTopic(gatewayTopics.requests(), in, in);
        deadLetters = driver.createOutputTopic(topics.deadLetter(), in, in);
        partsChangelog = driver.createOutputTopic("t.gateway-" + ReassemblyTopology.BATCH_PART_STORE + "-changelog",
                in, in);
        headersChangelog = driver.createOutputTopic(
                "t.gateway-" + ReassemblyTopology.BATCH_HEADER_STORE + "-changelog", in, in);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void aBatchOfManyExpertsIsCombinedAndEachPartIsStoredOnce() {
        RoutingManifest manifest = manifest("many", start);
        List<ExpertRows> rows = rowsOf(manifest);
        List<byte[]> parts = new ArrayList<>(rows.stream().map(r -> r.toBytes(WireType.F32)).toList());
        Collections.shuffle(parts, random);
        parts.add(parts.size() / 2, manifest.toBytes());
        // Redeliveries, of a part that came before the manifest and of one after it, count once.
        parts.add(1, parts.get(0));
        parts.add(parts.size() - 1, parts.get(parts.size() - 2));
        send("many", parts);

        assertCombined(manifest, rows, "");
        int distinct = rows.size() + 1;
        assertThat(distinct).isEqualTo(EXPERTS + 2);
        List<TestRecord<byte[], byte[]>> written = partsChangelog.readRecordsToList();
        // Each part written once; the redelivery before the manifest too, until the manifest shows it is one.
        // Every key is deleted when the batch completes.
        assertThat(written.stream().filter(r -> r.value() != null)).hasSize(distinct + 1);
        assertThat(written.stream().filter(r -> r.value() != null).map(r -> key(r.key())).distinct())
                .hasSize(distinct + 1);
        assertThat(written.stream().filter(r -> r.value() == null).map(r -> key(r.key())).distinct())
                .hasSize(distinct + 1);
        assertThat(written).allMatch(r -> key(r.key()).startsWith(PendingBatch.partPrefix("many")));
        // One small header update per part: not the batch's parts again.
        List<TestRecord<byte[], byte[]>> headerWrites = headersChangelog.readRecordsToList();
        assertThat(headerWrites).hasSizeLessThanOrEqualTo(parts.size() + 1);
        // 28 bytes, one int per expert answered, and 8 for the empty note on unavailable experts.
        assertThat(headerWrites).allMatch(r -> r.value() == null || r.value().length <= 36 + 4 * (EXPERTS + 1));
        assertThat(storeSize(ReassemblyTopology.BATCH_PART_STORE)).isZero();
        assertThat(storeSize(ReassemblyTopology.BATCH_HEADER_STORE)).isZero();
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void rowsBeforeTheManifestAndRowsThatDoNotFitAreHandledAsTheyCome() {
        RoutingManifest manifest = manifest("mixed", start);
        List<ExpertRows> rows = rowsOf(manifest);
        ExpertRows stranger = new ExpertRows("mixed", 0, EXPERTS + 5, new int[] {0}, HIDDEN, new float[HIDDEN], 0);
        ExpertRows wrongTokens = new ExpertRows("mixed", 0, rows.get(3).expert(), new int[] {0, 1, 2}, HIDDEN,
                new float[3 * HIDDEN], 0);
        List<byte[]> parts = new ArrayList<>();
        rows.subList(0, 10).forEach(r -> parts.add(r.toBytes(WireType.F32)));
        parts.add(stranger.toBytes(WireType.F32));
        parts.add(manifest.toBytes());
        parts.add(wrongTokens.toBytes(WireType.F32));
        rows.subList(10, rows.size()).forEach(r -> parts.add(r.toBytes(WireType.F32)));
        send("mixed", parts);

        assertCombined(manifest, rows, "");
        List<JsonNode> letters = deadLetters.readValuesToList().stream().map(JSON::readTree).toList();
        assertThat(letters).extracting(l -> l.get("offset").asLong()).containsExactly(10L, 12L);
        assertThat(letters).allMatch(l -> l.get("sourceTopic").asString().equals(topics.expertOutputs()));
        assertThat(letters.get(0).get("reason").asString()).contains("has no slot in the manifest");
        assertThat(letters.get(1).get("reason").asString()).contains("tokens that are not the");
        assertThat(registry.counter("moe.gateway.dead.letters", "reason", "expert-outputs-invalid").count())
                .isEqualTo(2);
    }

    @Test
    void rowsOfAnotherHiddenSizeOrWithANonFiniteValueAreDeadLetteredAtOnceAndKeepNoBatchWaiting() {
        ExpertRows wide = new ExpertRows("wide", 0, 3, new int[] {0}, HIDDEN + 1, new float[HIDDEN + 1], 0);
        float[] values = new float[2 * HIDDEN];
        values[HIDDEN + 1] = Float.POSITIVE_INFINITY;
        ExpertRows infinite = new ExpertRows("infinite", 0, 5, new int[] {4, 9}, HIDDEN, values, 0);
        send("wide", List.of(wide.toBytes(WireType.F32)));
        send("infinite", List.of(infinite.toBytes(WireType.F32)));

        List<JsonNode> letters = deadLetters.readValuesToList().stream().map(JSON::readTree).toList();
        assertThat(letters).extracting(l -> l.get("reason").asString()).containsExactly(
                "expert 3 sent rows for batch wide of hidden size " + (HIDDEN + 1) + ", the layer has " + HIDDEN,
                "expert 5 sent rows for batch infinite with the non-finite value Infinity for token 9 at column 1");
        assertThat(registry.counter("moe.gateway.dead.letters", "reason", "expert-outputs-invalid").count())
                .isEqualTo(2);
        assertThat(storeSize(ReassemblyTopology.BATCH_HEADER_STORE)).isZero();
    }

    @Test
    void pastTheDeadlineABatchCompletesDegradedAndRowsWithoutManifestAreOrphaned() {
        RoutingManifest manifest = manifest("late", start);
        List<ExpertRows> rows = rowsOf(manifest);
        List<byte[]> parts = new ArrayList<>(List.of(manifest.toBytes()));
        rows.stream().filter(r -> r.expert() != 7).forEach(r -> parts.add(r.toBytes(WireType.F32)));
        send("late", parts);
        List<ExpertRows> lost = rowsOf(manifest("late-lost", start));
        send("late-lost", List.of(lost.get(0).toBytes(WireType.F32), lost.get(1).toBytes(WireType.F32)));
        assertThat(pieces.isEmpty()).isTrue();

        driver.advanceWallClockTime(Duration.ofMillis(DEADLINE_MS + 1000));

        assertCombined(manifest, rows.stream().filter(r -> r.expert() != 7).toList(),
                "expert 7 did not answer within " + DEADLINE_MS + " ms");
        List<JsonNode> letters = deadLetters.readValuesToList().stream().map(JSON::readTree).toList();
        assertThat(letters).extracting(l -> l.get("reason").asString()).hasSize(2).allMatch(r -> r.contains(
                " sent rows for batch late-lost, which got no routing manifest within " + DEADLINE_MS + " ms"))
                .anyMatch(r -> r.startsWith(BatchReassembly.expertName(lost.get(0).expert()) + " "))
                .allMatch(r -> r.contains("a duplicate or stale output of a batch already completed"));
        assertThat(registry.counter("moe.gateway.steps.degraded").count()).isEqualTo(1);
        assertThat(storeSize(ReassemblyTopology.BATCH_PART_STORE)).isZero();
        assertThat(storeSize(ReassemblyTopology.BATCH_HEADER_STORE)).isZero();
    }

    @Test
    void theSpansRoutedAroundExpertsWithoutAConsumerAreDegradedAndNameThem() {
        RoutingManifest manifest = manifest("noted", start);
        List<ExpertRows> rows = rowsOf(manifest);
        UnavailableExperts note = new UnavailableExperts(new int[] {3, 63}, new int[] {2, 0});
        RecordHeaders headers = new RecordHeaders();
        headers.add(UnavailableExperts.HEADER, note.toBytes());
        outputs.pipeInput(new TestRecord<>("noted".getBytes(StandardCharsets.UTF_8), manifest.toBytes(), headers));
        send("noted", rows.stream().map(r -> r.toBytes(WireType.F32)).toList());

        List<RequestPart.Piece> forwarded = pieces.readValuesToList().stream()
                .map(v -> (RequestPart.Piece) RequestPart.fromBytes(v)).toList();
        assertThat(forwarded).hasSize(2);
        assertThat(forwarded.get(0).degradedReason())
                .isEqualTo("experts 3, 63 had no live consumer: 2 slots went to other experts");
        assertThat(forwarded.get(0).missingExperts()).containsExactly(3, 63);
        assertThat(forwarded.get(0).unavailableSlots()).isEqualTo(2);
        assertThat(forwarded.get(1).degradedReason()).as("a span none of whose slots was moved").isEmpty();
        assertThat(forwarded.get(1).missingExperts()).isEmpty();
        assertThat(registry.counter("moe.gateway.steps.degraded").count()).isEqualTo(1);
    }

    /** Sends the parts, keyed by their batch id. */
    private void send(String key, List<byte[]> parts) {
        parts.forEach(p -> outputs.pipeInput(key.getBytes(StandardCharsets.UTF_8), p));
    }

    /** The pieces forwarded are the reference reassembly's output of the rows, one per request span. */
    private void assertCombined(RoutingManifest manifest, List<ExpertRows> rows, String reason) {
        BatchReassembly reference = new BatchReassembly(manifest, HIDDEN);
        rows.forEach(reference::accept);
        float[] expected = reference.combinePartial();
        List<RequestPart.Piece> forwarded = pieces.readValuesToList().stream()
                .map(v -> (RequestPart.Piece) RequestPart.fromBytes(v)).toList();
        assertThat(forwarded).extracting(RequestPart.Piece::requestId)
                .containsExactlyElementsOf(manifest.requests().stream().map(RequestSpan::requestId).toList());
        for (int i = 0; i < forwarded.size(); i++) {
            RequestSpan span = manifest.requests().get(i);
            RequestPart.Piece piece = forwarded.get(i);
            assertThat(piece.rows()).containsExactly(Arrays.copyOfRange(expected, span.firstToken() * HIDDEN,
                    (span.firstToken() + span.tokenCount()) * HIDDEN));
            assertThat(piece.counts()).isEqualTo(reference.counts(span));
            assertThat(piece.degradedReason()).isEqualTo(reason);
        }
    }

    /** A batch of two requests whose tokens each go to {@link #TOP_K} of {@link #EXPERTS} experts, plus a shared one. */
    private RoutingManifest manifest(String batchId, long createdAt) {
        int[] start = new int[TOKENS + 1];
        int[] expert = new int[TOKENS * TOP_K];
        double[] weight = new double[expert.length];
        double[] sharedScale = new double[TOKENS];
        for (int t = 0; t < TOKENS; t++) {
            start[t + 1] = start[t] + TOP_K;
            for (int j = 0; j < TOP_K; j++) {
                expert[t * TOP_K + j] = (t * 5 + j * 8) % EXPERTS;
                weight[t * TOP_K + j] = random.nextDouble();
            }
            sharedScale[t] = random.nextDouble();
        }
        List<RequestSpan> requests = List.of(new RequestSpan(batchId + "-a", 0, 30, 0, 30),
                new RequestSpan(batchId + "-b", 30, TOKENS - 30, 5, 40));
        return new RoutingManifest(batchId, 0, createdAt, requests, TOKENS, "token-drop", Double.NaN, -1, start,
                expert, new int[expert.length], weight, new int[TOKENS], 1, sharedScale);
    }

    /** Every expert's rows the manifest waits for, with random values. */
    private List<ExpertRows> rowsOf(RoutingManifest manifest) {
        List<ExpertRows> rows = new ArrayList<>();
        for (int e : manifest.expertsWithRows()) {
            int[] tokens = e < 0 ? IntStream.range(0, TOKENS).toArray()
                    : IntStream.range(0, TOKENS).filter(t -> Arrays.stream(manifest.slotExpert(),
                            manifest.slotStart()[t], manifest.slotStart()[t + 1]).anyMatch(x -> x == e)).toArray();
            float[] values = new float[tokens.length * HIDDEN];
            for (int i = 0; i < values.length; i++) {
                values[i] = random.nextFloat() - 0.5f;
            }
            rows.add(new ExpertRows(manifest.batchId(), 0, e, tokens, HIDDEN, values, 0));
        }
        return rows;
    }

    private long storeSize(String name) {
        try (KeyValueIterator<Object, Object> all = driver.getKeyValueStore(name).all()) {
            long entries = 0;
            for (; all.hasNext(); all.next()) {
                entries++;
            }
            return entries;
        }
    }

    private static String key(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
