package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moestream.pipeline.MoeSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * An expert service that dies for good while a whole-model request decodes: once the workers learn that its
 * experts have no live consumer, the step waiting for them runs again at once and every MoE layer routes
 * without them. The request finishes, answered {@code degraded} with the missing experts named, and its
 * stream still carries each token once; a request sent afterwards is served by the remaining rank alone.
 */
class ExpertRankDownEndToEndTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int MAX_TOKENS = 60;

    @TempDir
    Path dir;

    @Test
    void requestsGoOnWithoutADeadRanksExpertsAndSaySo() throws Exception {
        Path model = Path.of("..", "models", "olmoe-corpus").toAbsolutePath();
        MoeSettings settings = new MoeSettings("down.", model, 0, 2, List.of(), null, Map.of("policy", "dropless"));
        try (LocalBroker broker = new LocalBroker(0).start();
             WholeModelStack stack = WholeModelStack.start(broker.bootstrapServers(), settings, dir,
                     Map.of("moe.expert.backend", "java"), new SimpleMeterRegistry());
             CompletionClient client = new CompletionClient(broker.bootstrapServers(), stack.topics())) {
            client.send("during", "{\"prompt\": \"The candle burns\", \"max_tokens\": " + MAX_TOKENS
                    + ", \"temperature\": 0}");
            long end = System.nanoTime() + TIMEOUT.toNanos();
            while (client.stream("during").size() < 3 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(client.stream("during").size()).as("tokens before the rank died").isBetween(3, MAX_TOKENS - 1);
            stack.stopExpertService(1);
            // A step now waits for rank 1's experts, until the workers hear they are gone.
            Thread.sleep(2000);
            stack.markUnavailable(1);

            JsonNode during = client.result("during", TIMEOUT);
            assertThat(during.get("status").asString()).isEqualTo("degraded");
            assertThat(during.get("error").asString()).contains("had no live consumer");
            assertThat(during.get("routing").get("moved").asInt()).isPositive();
            assertThat(during.get("routing").get("unavailableExperts")).isNotEmpty();
            int generated = during.get("tokens").size();
            List<JsonNode> streamed = client.stream("during");
            assertThat(streamed).as("one stream record per token").hasSize(generated);
            for (int i = 0; i < generated; i++) {
                assertThat(streamed.get(i).get("index").asInt()).isEqualTo(i);
                assertThat(streamed.get(i).get("token").asInt()).isEqualTo(during.get("tokens").get(i).asInt());
            }

            client.send("after", "{\"prompt\": \"The river\", \"max_tokens\": 8, \"temperature\": 0}");
            JsonNode after = client.result("after", TIMEOUT);
            assertThat(after.get("status").asString()).isIn("ok", "degraded");
            assertThat(after.get("tokens").size()).isPositive();
            assertThat(client.results("during")).hasSize(1);
        }
    }
}
