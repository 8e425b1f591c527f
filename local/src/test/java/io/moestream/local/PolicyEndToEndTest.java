package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A prompt through the {@code layer-prompts} topic and one through REST under every policy of the spec,
 * switched live through the {@code control} topic, each result equal to the in-process layer's.
 */
@ExtendWith(SharedStack.class)
class PolicyEndToEndTest {

    /** About 30 tokens: with capacity factor 1 some experts overflow, so the policies differ. */
    static final String PROMPT = "Mixture-of-Experts layers send every token to a few experts; an expert that"
            + " receives more tokens than its capacity has to drop, re-route or rectify some of them.";

    private static PipelineClient client;
    private static OutputCheck check;

    @BeforeAll
    static void connect(LocalStack stack) {
        client = new PipelineClient(stack);
        check = new OutputCheck(client, new ReferenceLayer(stack.settings()), OutputCheck.F32_TOLERANCE);
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dropless", "vanilla", "token-drop", "token-reroute", "expanded-drop", "rectify-ir",
        "rectify-fr", "rectify"})
    void promptsThroughKafkaAndRestComputeWhatTheInProcessLayerComputes(String policy) {
        Map<String, Object> control = Map.of("policy", policy, "capacity-factor", 1.0);
        client.setRouting(control);

        Result viaKafka = client.firstRoutedUnder(policy, id -> {
            client.sendPrompt(id, PROMPT);
            return client.awaitResult(id);
        });
        check.assertMatchesReference(viaKafka, control);
        // Capacity 1 must overflow some expert on this prompt, or the policies would all route alike.
        assertThat(viaKafka.json().path("routing").path("dropped").asInt()).as("dropped slots of %s", viaKafka)
                .matches(dropped -> policy.equals("dropless") == (dropped == 0));

        String restId = policy + "-rest";
        assertThat(client.postPrompt(restId, PROMPT)).isBetween(200, 202);
        Result viaRest = client.getResult(restId);
        assertThat(viaRest.policy()).isEqualTo(policy);
        assertThat(viaRest.tokens()).isEqualTo(viaKafka.tokens());
        check.assertMatchesReference(viaRest, control);
    }
}
