package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * An expert rank down for good stalls nothing: once its experts have had no live consumer for a while, the
 * router routes their slots to the other experts, and a request comes back at once, degraded, naming them
 * and counting the moved slots, instead of waiting for the step deadline (60 s here, twice what the test
 * waits for a result). When the rank is back, requests come back ok again.
 */
@ExtendWith(SharedStack.class)
class DeadRankEndToEndTest {

    /** The experts of rank 1 of two, contiguous over the model's eight. */
    private static final List<Integer> RANK_1 = List.of(4, 5, 6, 7);
    /** The member's session timeout (30 s), the router's grace (10 s), and time to spare. */
    private static final Duration NOTICED_WITHIN = Duration.ofSeconds(90);

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void requestsGoAroundARankWithoutConsumerAndSayWhichExpertsTheyMissed(LocalStack stack) throws Exception {
        try (PipelineClient client = new PipelineClient(stack)) {
            stack.stopExpert(1);
            try {
                awaitAvailability(stack, 0);
                String id = "dead-rank-" + UUID.randomUUID();
                client.sendPrompt(id, PolicyEndToEndTest.PROMPT);
                Result result = client.awaitResult(id);

                assertThat(result.status()).as("%s", result).isEqualTo("degraded");
                List<Integer> missing = result.json().get("missingExperts").valueStream().map(JsonNode::asInt)
                        .toList();
                assertThat(missing).isNotEmpty().isSubsetOf(RANK_1);
                assertThat(result.json().get("routing").get("unavailable").asInt()).isPositive();
                assertThat(result.json().get("error").asString()).contains("had no live consumer");
                assertThat(result.outputs()).as("outputs of the live experts").isNotNull();
            } finally {
                stack.startExpert(1);
            }
            awaitAvailability(stack, 1);
            String back = "rank-back-" + UUID.randomUUID();
            client.sendPrompt(back, PolicyEndToEndTest.PROMPT);
            assertThat(client.awaitResult(back).status()).isEqualTo("ok");
        }
    }

    /** Waits until the router's {@code moe_router_expert_available} is {@code value} for every expert of rank 1. */
    private void awaitAvailability(LocalStack stack, int value) throws IOException, InterruptedException {
        HttpRequest scrape = HttpRequest.newBuilder(URI.create(stack.routerUrl() + "/actuator/prometheus")).GET()
                .build();
        long deadline = System.nanoTime() + NOTICED_WITHIN.toNanos();
        List<String> lines = List.of();
        while (System.nanoTime() < deadline) {
            lines = http.send(scrape, HttpResponse.BodyHandlers.ofString()).body().lines()
                    .filter(line -> line.startsWith("moe_router_expert_available{")).toList();
            List<String> scraped = lines;
            if (RANK_1.stream().allMatch(e -> scraped.stream().anyMatch(line -> line.contains("expert=\"" + e + "\"")
                    && Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) == value))) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("the router did not report experts " + RANK_1 + " as " + value + " within "
                + NOTICED_WITHIN.toSeconds() + " s: " + lines);
    }
}
