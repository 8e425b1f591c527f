package io.moestream.gateway;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaBroker;

/** A gateway as its own application context, as local mode runs it, on a fresh state directory. */
final class StandaloneGateway {

    private StandaloneGateway() {
    }

    /** @param options more {@code --name=value} settings */
    static ConfigurableApplicationContext start(EmbeddedKafkaBroker broker, String topicsPrefix, String... options) {
        Path state = TestModel.tempDir("gateway-state");
        // Command-line arguments, because they outrank the application's own defaults.
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
                "--moe.topics.prefix=" + topicsPrefix,
                "--moe.model.dir=" + TestModel.DIR,
                "--moe.gateway.state-dir=" + state));
        args.addAll(List.of(options));
        return new SpringApplicationBuilder(GatewayApplication.class).run(args.toArray(String[]::new));
    }
}
