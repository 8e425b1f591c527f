package io.moestream.gateway;

import io.moestream.text.PromptEncoder;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.TokenBatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

/**
 * The gateway against a real (embedded KRaft) broker, with the test playing router and expert
 * services: prompts in over REST and Kafka, token batches out, shuffled expert outputs back, results
 * checked against the in-process layer.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
        "moe.ranks=" + GatewayIntegrationTest.RANKS,
        "moe.gateway.max-tokens-per-step=8",
        "moe.gateway.linger-ms=20",
        "moe.gateway.deadline-ms=" + GatewayIntegrationTest.DEADLINE_MS,
        "moe.gateway.max-prompt-tokens=64"})
@EmbeddedKafka
@AutoConfigureWebTestClient
class GatewayIntegrationTest {

    static final int RANKS = 2;
    static final long DEADLINE_MS = 1500;
    static final Duration WAIT = KafkaProbe.WAIT;
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Path MODEL = TestModel.DIR;
    static final Path STATE = TestModel.tempDir("gateway-state");

    @Autowired
    WebTestClient web;
    @Autowired
    EmbeddedKafkaBroker broker;
    @Autowired
    PromptEncoder encoder;

    final RouterAndExperts routerAndExperts = new RouterAndExperts(MODEL, RANKS);

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("moe.model.dir", MODEL::toString);
        registry.add("moe.gateway.state-dir", STATE::toString);
    }

    @Test
    void tokenPromptsComeBackAsTheLayersOutputs() {
        int[] a = IntStream.range(0, 11).map(i -> 100 + 37 * i).toArray();
        int[] b = {5, 4, 3, 2, 1};
        post("{\"id\": \"num-a\", \"tokens\": " + Arrays.toString(a) + ", \"returnOutputs\": true}");
        post("{\"id\": \"num-b\", \"tokens\": " + Arrays.toString(b) + ", \"returnOutputs\": true}");

        List<TokenBatch> batches = batchesOf(Map.of("num-a", a.length, "num-b", b.length));
        assertThat(batches).allMatch(batch -> batch.tokens() <= 8);
        assertThat(batches).flatExtracting(TokenBatch::requests).filteredOn(s -> s.requestId().equals("num-a"))
                .extracting(RequestSpan::requestOffset, RequestSpan::tokenCount)
                .containsExactly(tuple(0, 8), tuple(8, 3));
        Map<String, float[]> expected = answer(batches, e -> true);

        JsonNode resultA = awaitResult("num-a");
        assertThat(resultA.get("status").asString()).isEqualTo("ok");
        assertThat(resultA.get("tokens").asInt()).isEqualTo(11);
        assertThat(resultA.get("routing").get("kept").asInt()).isEqualTo(11 * 2);
        assertThat(resultA.get("routing").get("dropped").asInt()).isZero();
        Results.assertOutputs(resultA, 11, expected.get("num-a"));
        Results.assertOutputs(awaitResult("num-b"), 5, expected.get("num-b"));

        String event = web.get().uri("/v1/results/num-b/stream").accept(MediaType.TEXT_EVENT_STREAM).exchange()
                .expectStatus().isOk().returnResult(String.class).getResponseBody().blockFirst(WAIT);
        assertThat(JSON.readTree(event).get("id").asString()).isEqualTo("num-b");
    }

    @Test
    void aTextPromptIsSentAsItsEmbeddingRows() {
        String text = "Explain the mixture of experts layer in one sentence, please.";
        post("{\"id\": \"text-1\", \"prompt\": \"" + text + "\"}");
        int tokens = encoder.tokenize(text).length;
        assertThat(tokens).isGreaterThan(8);

        List<TokenBatch> batches = batchesOf(Map.of("text-1", tokens));
        float[] sent = new float[tokens * encoder.hiddenSize()];
        for (TokenBatch batch : batches) {
            for (RequestSpan span : batch.requests()) {
                System.arraycopy(batch.states(), span.firstToken() * batch.hidden(), sent,
                        span.requestOffset() * batch.hidden(), span.tokenCount() * batch.hidden());
            }
        }
        assertThat(sent).containsExactly(encoder.encode(text));
        assertThat(batches).extracting(TokenBatch::tokens).allMatch(n -> n <= 8);

        answer(batches, e -> true);
        JsonNode result = awaitResult("text-1");
        assertThat(result.get("status").asString()).isEqualTo("ok");
        assertThat(result.has("outputs")).isFalse();
        assertThat(result.get("latencyMs").asLong()).isNotNegative();
    }

    @Test
    void aSilentExpertPastTheDeadlineGivesADegradedResult() {
        post("{\"id\": \"slow-1\", \"tokens\": [7, 70, 700, 2000, 4000, 17], \"returnOutputs\": true}");
        web.get().uri("/v1/results/slow-1").exchange().expectStatus().isAccepted()
                .expectBody().jsonPath("$.status").isEqualTo("pending");
        List<TokenBatch> batches = batchesOf(Map.of("slow-1", 6));
        assertThat(batches).hasSize(1);
        int silent = routerAndExperts.answer(batches.get(0), e -> true, 0).expertsWithRows()[0];

        answer(batches, e -> e != silent);

        JsonNode result = awaitResult("slow-1");
        assertThat(result.get("status").asString()).isEqualTo("degraded");
        assertThat(result.get("error").asString())
                .isEqualTo("expert " + silent + " did not answer within " + DEADLINE_MS + " ms");
        assertThat(result.get("routing").get("dropped").asInt()).isPositive();
        assertThat(result.get("routing").get("kept").asInt() + result.get("routing").get("dropped").asInt())
                .isEqualTo(6 * 2);
        assertThat(result.get("latencyMs").asLong()).isGreaterThanOrEqualTo(DEADLINE_MS);
    }

    @Test
    void healthIncludesTheReassemblyStreams() {
        web.get().uri("/actuator/health").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP");
    }

    @Test
    void badPromptsAreRefusedOverRestWithTheReason() {
        assertRefused("{\"id\": \"x\", \"prompt\": ", "malformed JSON");
        assertRefused("[1, 2]", "the prompt must be a JSON object");
        assertRefused("{\"id\": 5, \"prompt\": \"hi\"}", "\"id\" must be a non-empty string");
        assertRefused("{\"tokens\": \"1 2 3\"}", "\"tokens\" must be an array of token ids");
        assertRefused("{\"tokens\": [1, 2.5]}", "\"tokens\"[1] is 2.5, not an integer token id");
        assertRefused("{\"prompt\": \"\"}", "the prompt is empty");
        assertRefused("{\"prompt\": \"hi\", \"tokens\": [1]}", "not both");
        assertRefused("{\"tokens\": [1, 200000]}", "token at position 1 has id 200000, outside the embedding");
        assertRefused("{\"tokens\": " + Arrays.toString(new int[65]) + "}", "65 tokens, more than the maximum of 64");
        web.get().uri("/v1/results/never-posted").exchange().expectStatus().isNotFound();
    }

    @Test
    void badRecordsGoToTheDeadLetterTopicAndTheStreamKeepsFlowing() {
        String badJson = "bad-" + UUID.randomUUID();
        String badToken = "bad-" + UUID.randomUUID();
        String junk = "junk-" + UUID.randomUUID();
        send("moe.layer-prompts", badJson, "{\"prompt\": oops");
        send("moe.layer-prompts", badToken, "{\"tokens\": [999999999]}");
        send("moe.expert-outputs", junk, "not a moe-stream record");

        Map<String, JsonNode> letters = kafka().jsonByKey("moe.dead-letter", 1, Set.of(badJson, badToken, junk));
        assertThat(letters.get(badJson).get("reason").asString()).startsWith("malformed JSON");
        assertThat(letters.get(badJson).get("sourceTopic").asString()).isEqualTo("moe.layer-prompts");
        assertThat(letters.get(badJson).get("original").asString()).isEqualTo("{\"prompt\": oops");
        assertThat(letters.get(badToken).get("reason").asString()).contains("outside the embedding table's vocabulary");
        assertThat(letters.get(junk).get("reason").asString())
                .isEqualTo("undecodable expert-outputs record: not a moe-stream record (magic bytes 'MS' missing)");
        assertThat(letters.get(junk).get("service").asString()).isEqualTo("gateway");

        String good = "kafka-" + UUID.randomUUID();
        send("moe.layer-prompts", good, "{\"tokens\": [11, 12, 13]}");
        answer(batchesOf(Map.of(good, 3)), e -> true);
        assertThat(awaitResult(good).get("status").asString()).isEqualTo("ok");

        String metrics = web.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .returnResult(String.class).getResponseBody().collect(Collectors.joining()).block(WAIT);
        assertThat(metrics).contains("moe_request_latency_seconds_bucket{", "moe_gateway_requests_total{",
                "moe_gateway_dead_letters_total{", "reason=\"expert-outputs-undecodable\"",
                "moe_gateway_step_tokens_count", "moe_gateway_wire_bytes_total{", "moe_gateway_prompts_total{",
                "moe_gateway_steps_degraded_total");
        // The gateway's own Kafka clients: the prompts and results consumers, the producer, reassembly.
        assertThat(metrics).contains("kafka_consumer_fetch_manager_records_lag_max{",
                "client_id=\"gateway-prompts\"", "kafka_producer_record_send_total{", "kafka_stream_thread_");
    }

    private void post(String json) {
        web.post().uri("/v1/prompts").contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange()
                .expectStatus().isAccepted().expectBody().jsonPath("$.id").exists();
    }

    private void assertRefused(String json, String reason) {
        String error = web.post().uri("/v1/prompts").contentType(MediaType.APPLICATION_JSON).bodyValue(json)
                .exchange().expectStatus().isBadRequest().returnResult(String.class).getResponseBody()
                .collect(Collectors.joining()).block(WAIT);
        assertThat(JSON.readTree(error).get("error").asString()).as(json).contains(reason);
    }

    /** Sends router's and experts' parts for the batches; returns each request's expected layer output. */
    private Map<String, float[]> answer(List<TokenBatch> batches, IntPredicate answering) {
        Map<String, float[]> expected = new HashMap<>();
        for (TokenBatch batch : batches) {
            RouterAndExperts.Answer answer = routerAndExperts.answer(batch, answering, batch.batchId().hashCode());
            kafka().send("moe.expert-outputs", batch.batchId(), answer.parts().toArray(byte[][]::new));
            int d = batch.hidden();
            for (RequestSpan span : batch.requests()) {
                float[] out = expected.computeIfAbsent(span.requestId(), id -> new float[span.requestTokens() * d]);
                System.arraycopy(answer.expected(), span.firstToken() * d, out, span.requestOffset() * d,
                        span.tokenCount() * d);
            }
        }
        return expected;
    }

    private List<TokenBatch> batchesOf(Map<String, Integer> requests) {
        return kafka().batchesOf("moe.tokens", RANKS, requests);
    }

    private JsonNode awaitResult(String id) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            var response = web.get().uri("/v1/results/" + id).exchange().returnResult(String.class);
            if (response.getStatus().value() == 200) {
                return JSON.readTree(response.getResponseBody().collect(Collectors.joining()).block(WAIT));
            }
            assertThat(response.getStatus().value()).as("status of %s", id).isIn(202, 404);
            sleep(50);
        }
        throw new AssertionError("no result for " + id + " within " + WAIT);
    }

    private void send(String topic, String key, String value) {
        kafka().send(topic, key, KafkaProbe.bytes(value));
    }

    private KafkaProbe kafka() {
        return new KafkaProbe(broker.getBrokersAsString());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
