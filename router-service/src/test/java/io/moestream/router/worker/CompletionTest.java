package io.moestream.router.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.decoder.ContinuousBatch;
import io.moestream.decoder.Generation;
import io.moestream.decoder.LayerRouting;
import io.moestream.decoder.Sampling;
import io.moestream.routing.AvoidedExperts;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A request's result says it was degraded exactly when its own tokens lost slots to missing experts. */
class CompletionTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Tokens 0-1 rank expert 1 in their top 2; tokens 2-3 do not. */
    private static final double[][] LOGITS = {
            {3, 2, 0, -1}, {0, 3, 2, -1}, {3, -1, 2, 0}, {-1, -2, 3, 2}};

    private final Router router = new Router(RoutingConfig.builder(Policy.DROPLESS, 2).build(),
            Placement.contiguous(4, 2));
    private final LayerRouting withoutExpertOne = new LayerRouting(1,
            router.route(AvoidedExperts.masked(LOGITS, new int[] {1}), 0), AvoidedExperts.of(LOGITS, new int[] {1}, 2));

    @Test
    void aRequestWhoseTokensLostSlotsIsDegradedAndSaysWhich() {
        JsonNode result = finished("a", 0, 2);

        assertThat(result.get("status").asString()).isEqualTo("degraded");
        assertThat(result.get("error").asString()).contains("experts [1] had no live consumer").contains("2 slots");
        assertThat(result.get("routing").get("moved").asInt()).isEqualTo(2);
        assertThat(result.get("routing").get("unavailableExperts").get(0).asInt()).isEqualTo(1);
        assertThat(result.get("text").isString()).isTrue();
    }

    @Test
    void aRequestInTheSameStepWhoseTokensKeptTheirExpertsIsOk() {
        JsonNode result = finished("b", 2, 2);

        assertThat(result.get("status").asString()).isEqualTo("ok");
        assertThat(result.has("error")).isFalse();
        assertThat(result.get("routing").get("moved").asInt()).isZero();
    }

    private JsonNode finished(String id, int firstRow, int rows) {
        CompletionRequest request = new CompletionRequest(id, new int[] {5, 6}, null, 1, Sampling.GREEDY, List.of(), -1,
                false);
        Completion completion = new Completion(request, null, 0);
        completion.count("dropless", List.of(withoutExpertOne), firstRow, rows);
        completion.take(new ContinuousBatch.Event<>(id, firstRow, rows, 7, -0.5, List.of(), null,
                Generation.FinishReason.LENGTH), 1_000_000);
        return JSON.readTree(completion.result(0, 2_000_000));
    }
}
