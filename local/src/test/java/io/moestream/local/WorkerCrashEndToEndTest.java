package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.Generation;
import io.moestream.decoder.Generator;
import io.moestream.decoder.JavaBackend;
import io.moestream.decoder.Sampling;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.text.ModelTokenizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A dense worker that dies in the middle of two requests: the other worker takes its partition once the
 * session times out, reads what was streamed for them, computes them again from their prompts and those
 * tokens (the KV cache is never in Kafka) and streams only the tokens after them. Each request gets exactly
 * one result and one stream record per token, equal to the in-process generation: greedy, and seeded
 * sampling, which goes on past the draws of the tokens streamed before the crash.
 */
class WorkerCrashEndToEndTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int MAX_TOKENS = 120;
    private static final int TOP = 2;

    @TempDir
    Path dir;

    @Test
    void requestsWhoseWorkerDiesAreFinishedByAnotherWithEachTokenStreamedOnce() throws Exception {
        Path model = Path.of("..", "models", "olmoe-corpus").toAbsolutePath();
        // Dropless routes each token alone, so the worker that takes over computes the same tokens from its rank.
        Map<String, String> routing = Map.of("policy", "dropless");
        MoeSettings settings = new MoeSettings("crash.", model, 0, 2, List.of(), null, routing);
        try (LocalBroker broker = new LocalBroker(0).start();
             WholeModelStack stack = WholeModelStack.start(broker.bootstrapServers(), settings, dir,
                     Map.of("moe.expert.backend", "java"), new SimpleMeterRegistry());
             CompletionClient client = new CompletionClient(broker.bootstrapServers(), stack.topics());
             DecoderEngine engine = DecoderEngine.load(model, new JavaBackend())) {
            String prompt = "The candle burns";
            Map<String, Sampling> requests = Map.of("greedy", Sampling.GREEDY, "sampled", new Sampling(0.8, 1, 11));
            requests.forEach((id, sampling) -> client.sendTo(0, id, "{\"prompt\": \"" + prompt + "\", \"max_tokens\": "
                    + MAX_TOKENS + ", \"temperature\": " + sampling.temperature() + ", \"seed\": " + sampling.seed()
                    + ", \"logprobs\": " + TOP + "}"));
            long end = System.nanoTime() + TIMEOUT.toNanos();
            while (client.stream("greedy").size() < 5 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            int streamedBeforeCrash = client.stream("greedy").size();
            assertThat(streamedBeforeCrash).as("tokens streamed before the crash").isBetween(5, MAX_TOKENS - 1);
            stack.crashWorkerServing(0);

            ModelTokenizer tokenizer = ModelTokenizer.load(model).orElseThrow();
            for (Map.Entry<String, Sampling> request : requests.entrySet()) {
                String id = request.getKey();
                JsonNode result = client.result(id, TIMEOUT);
                Generation expected = new Generator(engine.model(RoutingSettings.apply(engine.defaultRouting(), routing),
                        settings.placement(engine.config().moe().numExperts())), request.getValue(), MAX_TOKENS,
                        engine.config().eosTokenIds(), 0).generate(List.of(tokenizer.encode(prompt)), (s, t) -> { },
                        r -> { }).generations().get(0);
                assertThat(ints(result.get("tokens"))).as("%s: tokens", id).containsExactly(expected.tokens());
                JsonNode logprobs = result.get("logprobs");
                for (int i = 0; i < expected.tokens().length; i++) {
                    assertThat(logprobs.get("token_logprobs").get(i).asDouble()).as("%s: log-prob %d", id, i)
                            .isCloseTo(expected.logprobs()[i], within(1e-4));
                    assertThat(logprobs.get("top_logprobs").get(i).size()).as("%s: top log-probs %d", id, i).isEqualTo(TOP);
                }
                assertThat(result.get("text").asString()).isEqualTo(tokenizer.decode(expected.tokens()));
            }
            Thread.sleep(3000);
            for (String id : requests.keySet()) {
                assertThat(client.results(id)).as("%s: results", id).hasSize(1);
                int[] resultTokens = ints(client.results(id).get(0).get("tokens"));
                List<JsonNode> streamed = client.stream(id);
                assertThat(streamed).as("%s: stream records, one per token", id).hasSize(resultTokens.length);
                for (int i = 0; i < streamed.size(); i++) {
                    assertThat(streamed.get(i).get("index").asInt()).as("%s: stream record %d", id, i).isEqualTo(i);
                    assertThat(streamed.get(i).get("token").asInt()).as("%s: token %d", id, i).isEqualTo(resultTokens[i]);
                }
            }
        }
    }

    private static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
        }
        return values;
    }
}
