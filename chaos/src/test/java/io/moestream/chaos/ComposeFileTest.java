package io.moestream.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness runs the services with what compose gives them: the project's own docker-compose.yml, read here. */
class ComposeFileTest {

    private static final Path COMPOSE = Path.of("..", "docker-compose.yml");

    @Test
    void findsEveryServiceOfTheProjectsComposeFileWithItsMergedEnvironment() {
        ComposeFile compose = ComposeFile.read(COMPOSE, Map.<String, String>of()::get);

        assertThat(compose.servicesOf("gateway-service")).extracting(ComposeFile.Service::name)
                .containsExactly("gateway");
        assertThat(compose.servicesOf("router-service")).extracting(ComposeFile.Service::name)
                .containsExactly("router");
        assertThat(compose.servicesOf("expert-service")).extracting(ComposeFile.Service::name)
                .containsExactly("expert-0", "expert-1");
        ComposeFile.Service expert1 = compose.servicesOf("expert-service").get(1);
        // From the x-moe-settings anchor through the merge key, next to the service's own variables.
        assertThat(expert1.environment()).containsEntry("SPRING_KAFKA_BOOTSTRAP_SERVERS", "kafka:29092")
                .containsEntry("MOE_RANKS", "2").containsEntry("MOE_EXPERT_RANK", "1");
        // Declared without a value: passed on only when the shell has it.
        assertThat(expert1.environment()).doesNotContainKey("OPENBLAS_CORETYPE");
    }

    @Test
    void interpolatesFromTheShellAsComposeDoes() {
        ComposeFile unset = ComposeFile.read(COMPOSE, Map.<String, String>of()::get);
        ComposeFile set = ComposeFile.read(COMPOSE,
                Map.of("MOE_POLICY", "rectify", "OPENBLAS_CORETYPE", "HASWELL")::get);

        assertThat(unset.servicesOf("router-service").get(0).environment().get("SPRING_APPLICATION_JSON"))
                .contains("\"policy\": \"token-drop\"");
        assertThat(set.servicesOf("router-service").get(0).environment().get("SPRING_APPLICATION_JSON"))
                .contains("\"policy\": \"rectify\"");
        assertThat(set.servicesOf("expert-service").get(0).environment()).containsEntry("OPENBLAS_CORETYPE", "HASWELL");
    }

    @Test
    void interpolationRules() {
        Map<String, String> shell = Map.of("EMPTY", "", "SET", "v");

        assertThat(ComposeFile.interpolate("${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${SET:-d} ${SET} ${UNSET} $$x",
                shell::get)).isEqualTo("d  d v v  $x");
    }

    @Test
    void listFormEnvironment(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("compose.yml"), """
                services:
                  gateway:
                    image: moe-stream/gateway-service:1
                    environment:
                      - A=1
                      - B=${B:-two}
                      - C
                """);

        assertThat(ComposeFile.read(file, Map.of("C", "3")::get).servicesOf("gateway-service").get(0).environment())
                .containsExactly(Map.entry("A", "1"), Map.entry("B", "two"), Map.entry("C", "3"));
    }

    @Test
    void aFileWithoutServicesIsRefusedByName(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("compose.yml"), "volumes: {}\n");

        assertThatThrownBy(() -> ComposeFile.read(file, Map.<String, String>of()::get))
                .hasMessageContaining(file.toString()).hasMessageContaining("no services");
    }
}
