package io.moestream.gateway;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moestream.layer.BatchReassembly.Counts;
import io.moestream.pipeline.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Request reassembly alone, in a {@link TopologyTestDriver}, with what a gateway killed before it committed
 * its prompts' offsets leaves behind: its successor takes the same prompts again, under its own attempt, and
 * registers and sends them once more. Each request id gets exactly one result, made of one copy's pieces.
 */
class RequestAssemblerTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int HIDDEN = 2;
    private static final long TIMEOUT_MS = 30_000;

    final Topics topics = new Topics("t.");
    final GatewayTopics gatewayTopics = new GatewayTopics(topics);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> requests;
    final TestOutputTopic<byte[], byte[]> results;
    final TestOutputTopic<byte[], byte[]> deadLetters;
    final long start = System.currentTimeMillis();

    RequestAssemblerTest() {
        GatewayMetrics metrics = new GatewayMetrics(registry);
        GatewaySettings settings = new GatewaySettings(8, 5, 10_000, TIMEOUT_MS, 64, 100, "gw", null);
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "t.gateway");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(StreamsConfig.STATE_DIR_CONFIG, TestModel.tempDir("request-assembler-state").toString());
        driver = new TopologyTestDriver(ReassemblyTopology.build(topics, gatewayTopics, HIDDEN, settings,
                new DeadLetters(topics, metrics), metrics), config, Instant.ofEpochMilli(start));
        ByteArraySerializer out = new ByteArraySerializer();
        ByteArrayDeserializer in = new ByteArrayDeserializer();
        requests = driver.createInputTopic(gatewayTopics.requests(), out, out);
        results = driver.createOutputTopic(topics.layerResults(), in, in);
        deadLetters = driver.createOutputTopic(topics.deadLetter(), in, in);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void aRequestTakenAgainWhilePendingGetsOneResultFromTheLatestCopy() {
        send(registration("r1", "gwA", start));
        send(piece("r1", "gwA-r0-0", 0, 2, 1));
        send(registration("r1", "gwB", start + 5_000));
        send(piece("r1", "gwA-r0-1", 2, 2, 1));
        assertThat(results.isEmpty()).as("the first copy's pieces no longer count").isTrue();
        send(piece("r1", "gwB-r1-0", 0, 3, 2));
        send(piece("r1", "gwB-r1-1", 3, 1, 2));

        List<JsonNode> all = results();
        assertThat(all).hasSize(1);
        assertThat(all.get(0).get("status").asString()).isEqualTo("ok");
        assertThat(all.get(0).get("routing").get("kept").asInt()).as("the second copy's slots only").isEqualTo(4);
        float[] secondCopy = new float[4 * HIDDEN];
        Arrays.fill(secondCopy, 2);
        Results.assertOutputs(all.get(0), 4, secondCopy);
        assertThat(registry.counter("moe.gateway.parts.dropped", "cause", "superseded").count()).isEqualTo(1);
    }

    @Test
    void aRequestTakenAgainAfterItsResultGetsNoSecondOne() {
        send(registration("r2", "gwA", start));
        send(piece("r2", "gwA-r0-0", 0, 4, 1));
        assertThat(results()).hasSize(1);

        send(registration("r2", "gwB", start + 5_000));
        send(piece("r2", "gwB-r0-0", 0, 4, 2));

        assertThat(results.isEmpty()).isTrue();
        List<JsonNode> letters = deadLetters.readValuesToList().stream().map(JSON::readTree).toList();
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).get("reason").asString())
                .isEqualTo("request r2 already has a result; a request id gets one result");
        assertThat(registry.counter("moe.gateway.parts.dropped", "cause", "finished").count()).isEqualTo(1);
    }

    @Test
    void aRequestThatTimedOutIsNotTimedOutAgainWhenTakenAgain() {
        send(registration("r3", "gwA", start));
        send(piece("r3", "gwA-r0-0", 0, 2, 1));
        driver.advanceWallClockTime(Duration.ofMillis(TIMEOUT_MS + 2_000));
        List<JsonNode> timedOut = results();
        assertThat(timedOut).hasSize(1);
        assertThat(timedOut.get(0).get("status").asString()).isEqualTo("error");

        send(registration("r3", "gwB", start + TIMEOUT_MS + 2_000));
        driver.advanceWallClockTime(Duration.ofMillis(TIMEOUT_MS + 2_000));

        assertThat(results.isEmpty()).isTrue();
        assertThat(deadLetters.readValuesToList()).hasSize(1);
    }

    @Test
    void aFinishedRequestIsForgottenOnceNothingOfItCanComeBack() {
        send(registration("r4", "gwA", start));
        send(piece("r4", "gwA-r0-0", 0, 4, 1));
        assertThat(results()).hasSize(1);

        driver.advanceWallClockTime(RequestAssembler.FINISHED_FOR.plusMinutes(2));
        long later = start + RequestAssembler.FINISHED_FOR.plusMinutes(2).toMillis();
        send(registration("r4", "gwB", later));
        send(piece("r4", "gwB-r0-0", 0, 4, 2));

        assertThat(results()).hasSize(1);
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void outputsOfARequestNoGatewayRegisteredAreDeadLetteredAtTheTimeOut() {
        send(piece("forged", "peer-batch-1", 0, 2, 1));
        driver.advanceWallClockTime(Duration.ofMillis(TIMEOUT_MS / 2));
        assertThat(deadLetters.isEmpty()).as("a registration may still come").isTrue();

        driver.advanceWallClockTime(Duration.ofMillis(TIMEOUT_MS));

        assertThat(results.isEmpty()).isTrue();
        List<TestRecord<byte[], byte[]>> letters = deadLetters.readRecordsToList();
        assertThat(letters).hasSize(1);
        assertThat(new String(letters.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("forged");
        JsonNode letter = JSON.readTree(letters.get(0).value());
        assertThat(letter.get("sourceTopic").asString()).isEqualTo(gatewayTopics.requests());
        assertThat(letter.get("reason").asString()).isEqualTo("outputs of 2 tokens came back for request forged, "
                + "which no gateway registered within " + TIMEOUT_MS + " ms: its token batch or routing manifest was "
                + "not written by a gateway");
        assertThat(registry.counter("moe.gateway.dead.letters", "reason", "request-unknown").count()).isEqualTo(1);

        send(registration("forged", "gwA", start + 2 * TIMEOUT_MS));
        send(piece("forged", "gwA-r0-0", 0, 4, 1));
        assertThat(results()).as("the id is free for a real request").hasSize(1);
    }

    @Test
    void aDegradedResultNamesTheMissingExperts() {
        send(registration("r5", "gwA", start));
        send(new RequestPart.Piece("r5", "gwA-r0-0", 0, 2, 4, HIDDEN, "token-drop", 1.0, new Counts(3, 1, 0, 0, 0, 0),
                "expert 3 did not answer within 10000 ms", new int[] {3}, 0, new float[2 * HIDDEN]));
        send(new RequestPart.Piece("r5", "gwA-r1-0", 2, 2, 4, HIDDEN, "token-drop", 1.0, new Counts(2, 2, 0, 0, 0, 0),
                "experts shared-0, 5 had no live consumer: 3 slots went to other experts", new int[] {-1, 5}, 3,
                new float[2 * HIDDEN]));

        JsonNode result = results().get(0);
        assertThat(result.get("status").asString()).isEqualTo("degraded");
        assertThat(result.get("missingExperts").valueStream().map(JsonNode::asInt)).containsExactly(-1, 3, 5);
        assertThat(result.get("error").asString()).isEqualTo("expert 3 did not answer within 10000 ms; "
                + "experts shared-0, 5 had no live consumer: 3 slots went to other experts");
        assertThat(result.get("routing").get("unavailable").asInt()).isEqualTo(3);
    }

    private void send(RequestPart part) {
        requests.pipeInput(new TestRecord<>(part.requestId().getBytes(StandardCharsets.UTF_8), part.toBytes()));
    }

    private List<JsonNode> results() {
        return results.readValuesToList().stream().map(JSON::readTree).toList();
    }

    private static RequestPart.Registration registration(String id, String attempt, long acceptedAt) {
        return new RequestPart.Registration(id, acceptedAt, true, 4, HIDDEN, attempt);
    }

    /** Tokens {@code offset ..< offset + count} of a 4-token request, every output value {@code value}. */
    private static RequestPart.Piece piece(String id, String batchId, int offset, int count, float value) {
        float[] rows = new float[count * HIDDEN];
        Arrays.fill(rows, value);
        return new RequestPart.Piece(id, batchId, offset, count, 4, HIDDEN, "token-drop", 1.0,
                new Counts(count, 0, 0, 0, 0, 0), "", new int[0], 0, rows);
    }
}
