package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.decoder.Generation;
import io.moestream.decoder.Generator;
import io.moestream.decoder.JavaBackend;
import io.moestream.decoder.Sampling;
import io.moestream.decoder.Scorer;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.text.ModelTokenizer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OpenAI-compatible API against the whole local stack: the gateway's {@code /v1/completions} and
 * {@code /v1/models}, the router's dense workers under the live routing of the control topic, the expert
 * services. Answers must equal the in-process engine's ({@code ./moe generate}, {@code ./moe score}) under
 * the policy the answer reports, from the source rank it reports.
 */
@ExtendWith(SharedStack.class)
class CompletionsEndToEndTest {

    private static final String PROMPT = "Mixture-of-Experts layers send every token to a few experts";
    private static final double LOGPROB_TOLERANCE = 1e-4;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static LocalStack stack;
    private static PipelineClient client;
    private static DecoderEngine engine;
    private static ModelTokenizer tokenizer;

    @BeforeAll
    static void connect(LocalStack shared) {
        stack = shared;
        client = new PipelineClient(shared);
        engine = DecoderEngine.load(shared.settings().modelDir(), new JavaBackend());
        tokenizer = ModelTokenizer.load(shared.settings().modelDir()).orElseThrow();
    }

    @AfterAll
    static void disconnect() {
        client.close();
        engine.close();
    }

    @Test
    void listsTheServedModel() throws Exception {
        JsonNode models = JSON.readTree(get("/v1/models").body());

        assertThat(models.get("object").asString()).isEqualTo("list");
        assertThat(models.get("data").get(0).get("id").asString())
                .isEqualTo(stack.settings().modelDir().getFileName().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dropless", "rectify"})
    void completionsStreamAndScoreAsTheInProcessEngineUnderTheLivePolicy(String policy) throws Exception {
        Map<String, Object> control = Map.of("policy", policy, "capacity-factor", 1.0);
        client.setRouting(control);
        JsonNode answer = firstUnder(policy, "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 10, \"temperature\": 0,"
                + " \"logprobs\": 0}");
        DecoderModel reference = reference(control);
        int rank = answer.get("routing").get("sourceRank").asInt();
        Generation expected = new Generator(reference, Sampling.GREEDY, 10, engine.config().eosTokenIds(), rank)
                .generate(List.of(tokenizer.encode(PROMPT)), (s, t) -> { }, r -> { }).generations().get(0);

        JsonNode choice = answer.get("choices").get(0);
        assertThat(choice.get("text").asString()).isEqualTo(tokenizer.decode(expected.tokens()));
        assertThat(choice.get("finish_reason").asString()).isEqualTo(expected.finishReason().apiName());
        JsonNode logprobs = choice.get("logprobs").get("token_logprobs");
        assertThat(logprobs.size()).isEqualTo(expected.tokens().length);
        for (int i = 0; i < logprobs.size(); i++) {
            assertThat(logprobs.get(i).asDouble()).isCloseTo(expected.logprobs()[i], within(LOGPROB_TOLERANCE));
        }
        assertThat(answer.get("usage").get("completion_tokens").asInt()).isEqualTo(expected.tokens().length);

        List<JsonNode> chunks = stream("{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 10, \"temperature\": 0,"
                + " \"stream\": true}");
        StringBuilder streamed = new StringBuilder();
        chunks.forEach(c -> streamed.append(c.get("choices").get(0).get("text").asString()));
        assertThat(streamed.toString()).isEqualTo(choice.get("text").asString());
        assertThat(chunks.get(chunks.size() - 1).get("choices").get(0).get("finish_reason").asString())
                .isEqualTo(expected.finishReason().apiName());
        assertThat(chunks.subList(0, chunks.size() - 1))
                .allMatch(c -> c.get("choices").get(0).get("finish_reason").isNull());

        int[] scored = tokenizer.encode(PROMPT);
        JsonNode score = post("{\"prompt\": " + Arrays.toString(scored) + ", \"max_tokens\": 0, \"echo\": true,"
                + " \"logprobs\": 1}");
        double[] expectedScore = new Scorer(reference, null, 0, score.get("routing").get("sourceRank").asInt())
                .score(List.of(scored), r -> { }, (f, s, o) -> { }).get(0).logprobs();
        JsonNode scoreLogprobs = score.get("choices").get(0).get("logprobs");
        assertThat(scoreLogprobs.get("token_logprobs").get(0).isNull()).isTrue();
        for (int i = 1; i < scored.length; i++) {
            assertThat(scoreLogprobs.get("token_logprobs").get(i).asDouble()).as("prompt position %d", i)
                    .isCloseTo(expectedScore[i], within(LOGPROB_TOLERANCE));
            assertThat(scoreLogprobs.get("top_logprobs").get(i).size()).isEqualTo(1);
        }
        assertThat(score.get("choices").get(0).get("text").asString()).isEqualTo(tokenizer.decode(scored));
    }

    @Test
    void badRequestsSayWhatIsWrong() throws Exception {
        HttpResponse<String> batch = postRaw("{\"prompt\": [\"one\", \"two\"]}");
        HttpResponse<String> model = postRaw("{\"model\": \"gpt-5\", \"prompt\": \"hi\"}");
        HttpResponse<String> outside = postRaw("{\"prompt\": [1, 2, 999999]}");
        HttpResponse<String> nothing = postRaw("{\"prompt\": \"hi\", \"max_tokens\": 0}");

        assertThat(batch.statusCode()).isEqualTo(400);
        assertThat(batch.body()).contains("one prompt per request");
        assertThat(model.statusCode()).isEqualTo(404);
        assertThat(model.body()).contains("gpt-5");
        assertThat(outside.statusCode()).isEqualTo(400);
        assertThat(outside.body()).contains("token 2 is 999999");
        assertThat(nothing.statusCode()).isEqualTo(400);
        assertThat(nothing.body()).contains("echo");
    }

    private static DecoderModel reference(Map<String, Object> control) {
        return engine.model(RoutingSettings.apply(engine.defaultRouting(), control),
                stack.settings().placement(engine.config().moe().numExperts()));
    }

    /** Posts until an answer comes back routed under {@code policy} alone: the switch applies from a later step. */
    private static JsonNode firstUnder(String policy, String body) throws Exception {
        List<String> seen = new ArrayList<>();
        for (int attempt = 0; attempt < 20; attempt++) {
            JsonNode answer = post(body);
            String routedUnder = answer.get("routing").get("policy").asString();
            if (routedUnder.equals(policy)) {
                return answer;
            }
            seen.add(routedUnder);
        }
        throw new AssertionError("the dense workers never switched to " + policy + "; answers came under " + seen);
    }

    private static JsonNode post(String body) throws Exception {
        HttpResponse<String> response = postRaw(body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** The chunks of a streamed answer; fails unless it ends with {@code data: [DONE]}. */
    private static List<JsonNode> stream(String body) throws Exception {
        HttpResponse<String> response = postRaw(body);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<String> events = Arrays.stream(response.body().split("\n\n")).filter(e -> !e.isBlank()).toList();
        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        List<JsonNode> chunks = new ArrayList<>();
        for (String event : events.subList(0, events.size() - 1)) {
            assertThat(event).startsWith("data: ");
            chunks.add(JSON.readTree(event.substring("data: ".length())));
        }
        return chunks;
    }

    private static HttpResponse<String> postRaw(String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.gatewayUrl() + "/v1/completions"))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.gatewayUrl() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
