package io.moestream.cli;

import io.moestream.local.LocalStack;
import io.moestream.local.ServicePorts;
import io.moestream.model.ModelConfig;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.routing.Placement;
import io.moestream.routing.SpecName;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** {@code moe local}: the whole pipeline in this process until Ctrl-C (docs/PIPELINE.md, "Local mode"). */
@Command(name = "local", defaultValueProvider = RoutingDefaults.class,
        description = {
            "Runs the whole pipeline in this process until Ctrl-C.",
            "A Kafka broker, the gateway, the router and one expert service per rank, each",
            "service in its own Spring context with its own port and metrics. Prompts go to",
            "POST /v1/prompts or the layer-prompts topic. Routing options given here become the",
            "router's configured routing; a record on the control topic changes it live.",
            "Routing options not given keep the model's own top-k and combine weights, not",
            "the defaults shown below.",
            ""})
final class LocalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** A tiny model of the preset unless one is given. */
    @Mixin
    ModelChoice modelChoice;

    @Option(names = "--port", defaultValue = "9092", paramLabel = "PORT", description = "Kafka broker port.")
    int port;

    @Option(names = "--gateway-port", defaultValue = "8080", paramLabel = "PORT",
            description = "The gateway's HTTP port (REST API and metrics); 0 for a free one.")
    int gatewayPort;

    @Option(names = "--router-port", defaultValue = "8081", paramLabel = "PORT",
            description = "The router's HTTP port (metrics, health); 0 for a free one.")
    int routerPort;

    @Option(names = "--expert-port", defaultValue = "8090", paramLabel = "PORT",
            description = "The expert service of rank r listens on PORT + r; 0 for free ones.")
    int expertPort;

    @Mixin
    RoutingOptions routing;

    @Override
    public Integer call() throws InterruptedException {
        Placement placement = routing.placement(experts());
        MoeSettings settings = new MoeSettings(null, modelChoice.model, 0, placement.ranks(),
                routing.placementFile == null ? List.of() : Arrays.stream(placement.toArray()).boxed().toList(),
                null, givenRoutingOptions());
        LocalStack stack;
        try {
            stack = LocalStack.builder().brokerPort(port).ports(new ServicePorts(gatewayPort, routerPort, expertPort))
                    .preset(modelChoice.preset).settings(settings).start();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UserError(e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }, "moe-local-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.print(stack.describe());
        out.println("Ctrl-C stops everything.");
        out.flush();
        stopped.await();
        return 0;
    }

    private int experts() {
        if (modelChoice.model == null) {
            return modelChoice.preset.experts();
        }
        return ModelConfig.read(modelChoice.model).orElseThrow(() -> new UserError(modelChoice.model + ": no " + ModelConfig.FILE
                + "; expected a checkpoint directory (config.json + safetensors)")).numExperts();
    }

    /**
     * Only the routing options given on the command line, as {@code moe.routing.*} values: the ones
     * not given keep the model's defaults (its top-k and combine weights), which the CLI's own
     * defaults would otherwise replace.
     */
    private Map<String, String> givenRoutingOptions() {
        ParseResult parsed = spec.commandLine().getParseResult();
        Map<String, String> given = new LinkedHashMap<>();
        for (String name : RoutingSettings.NAMES) {
            OptionSpec option = parsed.matchedOption("--" + name);
            if (option != null) {
                Object value = option.getValue();
                given.put(name, value == null ? "none"
                        : value instanceof Enum<?> constant ? SpecName.of(constant) : value.toString());
            }
        }
        return given;
    }
}
