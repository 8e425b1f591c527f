package io.moestream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class CompletionHubTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final CompletionHub hub = new CompletionHub();

    @Test
    void aResultReadBeforeItsLastTokensWaitsForThem() {
        CompletionHub.Watch watch = hub.watch("c1");

        hub.token("c1", token(0, "a"));
        hub.result("c1", JSON.readTree("{\"id\": \"c1\", \"status\": \"ok\", \"usage\": {\"completion_tokens\": 2}}"));
        hub.token("c1", token(1, "b"));

        assertThat(texts(watch)).containsExactly("a", "b", "result");
    }

    @Test
    void aTokenStreamedAgainByAWorkerThatTookTheRequestOverIsPassedOnOnce() {
        CompletionHub.Watch watch = hub.watch("c2");

        hub.token("c2", token(0, "a"));
        hub.token("c2", token(1, "b"));
        hub.token("c2", token(0, "a"));
        hub.token("c2", token(1, "b"));
        hub.token("c2", token(2, "c"));
        hub.result("c2", JSON.readTree("{\"id\": \"c2\", \"status\": \"ok\", \"usage\": {\"completion_tokens\": 3}}"));
        hub.token("other", token(0, "x"));

        assertThat(texts(watch)).containsExactly("a", "b", "c", "result");
    }

    private static JsonNode token(int index, String text) {
        return JSON.readTree("{\"index\": " + index + ", \"text\": \"" + text + "\"}");
    }

    private static List<String> texts(CompletionHub.Watch watch) {
        return watch.events().asFlux().map(e -> e.has("status") ? "result" : e.get("text").asString())
                .collectList().block(Duration.ofSeconds(5));
    }
}
