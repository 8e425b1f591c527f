package io.moestream.pipeline;

import io.moestream.routing.Options.DropOrder;
import io.moestream.routing.Options.Weights;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoutingSettingsTest {

    static final RoutingConfig BASE = RoutingConfig.builder(Policy.TOKEN_DROP, 4).weights(Weights.TOPK).build();

    @Test
    void namedOptionsReplaceTheBaseAndTheRestIsKept() {
        RoutingConfig config = RoutingSettings.apply(BASE, Map.of("policy", "rectify", "capacity-factor", "1.5",
                "drop_order", "score", "ir-exclude-dropping-expert", false));
        assertThat(config.policy()).isEqualTo(Policy.RECTIFY);
        assertThat(config.capacityFactor()).isEqualTo(1.5);
        assertThat(config.dropOrder()).isEqualTo(DropOrder.SCORE);
        assertThat(config.irExcludeDroppingExpert()).isFalse();
        assertThat(config.topK()).isEqualTo(4);
        assertThat(config.weights()).isEqualTo(Weights.TOPK);
    }

    @Test
    void namesAsEnvironmentVariablesBindThemAreAccepted() {
        // MOE_ROUTING_CAPACITY_FACTOR and MOE_ROUTING_MAX_EXPERTS_PER_TOKEN, as Spring's binder keys them.
        RoutingConfig config = RoutingSettings.apply(BASE, Map.of("capacity.factor", "1.25",
                "MAX_EXPERTS_PER_TOKEN", "3", "policy", "expanded-drop"));
        assertThat(config.capacityFactor()).isEqualTo(1.25);
        assertThat(config.maxExpertsPerToken()).isEqualTo(3);
    }

    @Test
    void noneOrNullUnsetsTheCapacity() {
        RoutingConfig withCapacity = BASE.toBuilder().capacityFactor(2.0).build();
        Map<String, Object> unset = new HashMap<>();
        unset.put("capacity-factor", null);
        assertThat(RoutingSettings.apply(withCapacity, unset).capacityFactor()).isNull();
        assertThat(RoutingSettings.apply(withCapacity, Map.of("capacity-factor", "none")).capacityFactor()).isNull();
    }

    @Test
    void unknownNamesAndValuesFailWithWhatIsValid() {
        assertThatThrownBy(() -> RoutingSettings.apply(BASE, Map.of("polcy", "rectify")))
                .hasMessageContaining("unknown routing option 'polcy'").hasMessageContaining("capacity-factor");
        assertThatThrownBy(() -> RoutingSettings.apply(BASE, Map.of("policy", "fastest")))
                .hasMessageContaining("unknown policy 'fastest'").hasMessageContaining("token-reroute");
        assertThatThrownBy(() -> RoutingSettings.apply(BASE, Map.of("rounds", "two")))
                .hasMessageContaining("rounds: 'two' is not a number");
        assertThatThrownBy(() -> RoutingSettings.apply(BASE, Map.of("ir-exclude-dropping-expert", "maybe")))
                .hasMessageContaining("is not true or false");
        assertThatThrownBy(() -> RoutingSettings.apply(BASE, Map.of("top-k", "0"))).hasMessageContaining("top-k");
    }

    @Test
    void topicNamesFollowThePrefix() {
        Topics topics = new Topics("test.");
        assertThat(topics.expert(3)).isEqualTo("test.expert.3");
        assertThat(topics.expert(-2)).isEqualTo("test.expert.shared-1");
        assertThat(topics.all(new TopicLayout(2, 4, 1, 1))).hasSize(4 + 1 + 7 + 4 + 1 + 4);
        assertThat(topics.all(new TopicLayout(2, 4, 1, 1))).extracting(t -> t.name()).contains("test.prompts",
                "test.layer-outputs", "test.completion-stream", "test.results", "test.layer-prompts",
                "test.layer-results");
    }
}
