package io.moestream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.gateway.GatewaySettings;
import io.moestream.pipeline.MoeSettings;
import io.moestream.wire.WireType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reference computation must use the settings the router binds from compose's environment. */
class ServiceSettingsTest {

    @Test
    void bindsTheRoutersSettingsFromComposesEnvironment() {
        ComposeFile compose = ComposeFile.read(Path.of("..", "docker-compose.yml"),
                Map.of("MOE_PLACEMENT", "0,1,0,1,0,1,0,1")::get);
        Map<String, String> environment = new LinkedHashMap<>(
                compose.servicesOf("router-service").get(0).environment());
        environment.put("MOE_MODEL_DIR", "/models/m");

        MoeSettings settings = ServiceSettings.moe(environment);

        assertThat(settings.modelDir()).isEqualTo(Path.of("/models/m"));
        assertThat(settings.ranks()).isEqualTo(2);
        assertThat(settings.placement()).isEqualTo(List.of(0, 1, 0, 1, 0, 1, 0, 1));
        assertThat(settings.wireType()).isEqualTo(WireType.F32);
        assertThat(settings.routing()).containsEntry("policy", "token-drop").containsEntry("capacity-factor", "1.25");
    }

    @Test
    void gatewaySettingsFromTheEnvironment() {
        GatewaySettings gateway = ServiceSettings.gateway(Map.of("MOE_GATEWAY_DEADLINE_MS", "25000",
                "MOE_GATEWAY_REQUEST_TIMEOUT_MS", "40000"));

        assertThat(gateway.deadlineMs()).isEqualTo(25_000);
        assertThat(gateway.requestTimeoutMs()).isEqualTo(40_000);
    }
}
