package io.moestream.local;

import io.moestream.expert.service.ExpertServiceApplication;
import io.moestream.gateway.GatewayApplication;
import io.moestream.generate.Preset;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.TopicSetup;
import io.moestream.pipeline.Topics;
import io.moestream.router.RouterApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.springframework.boot.SpringApplication;

/**
 * The whole pipeline in this JVM: a Kafka broker, the topics, the model, and the gateway, the
 * router and one expert service per rank (rank 0 also hosting the shared experts), each service
 * in a Spring application context of its own (docs/PIPELINE.md, "Local mode").
 * {@link #close()} stops everything in the reverse order.
 */
public final class LocalStack implements AutoCloseable {

    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(60);

    private final Builder options;
    private final LocalBroker broker;
    private final List<AutoCloseable> started = new ArrayList<>();
    private final Map<Integer, LocalService> experts = new LinkedHashMap<>();
    private LocalModel model;
    private MoeSettings settings;
    private Path stateDir;
    private LocalService gateway;
    private LocalService router;
    private Duration startup;

    private LocalStack(Builder options) {
        this.options = options;
        this.broker = new LocalBroker(options.brokerPort);
    }

    public static Builder builder() {
        return new Builder();
    }

    private LocalStack start() {
        long begin = System.nanoTime();
        LocalLogging.initialize(options.properties);
        try {
            started.add(broker.start());
            model = options.settings.modelDir() != null ? LocalModel.given(options.settings.modelDir())
                    : LocalModel.generate(options.preset);
            started.add(model);
            settings = withModel(options.settings, model.dir());
            createTopics();
            stateDir = Files.createTempDirectory("moe-local-state-");
            started.add(this::deleteStateDir);
            Map<String, String> gatewayProperties = properties("moe-gateway", options.ports.gateway());
            gatewayProperties.put("moe.gateway.state-dir", stateDir.resolve("moe-gateway").toString());
            gateway = startService(new LocalService("moe-gateway", GatewayApplication.class,
                    () -> new SpringApplication(GatewayApplication.class), gatewayProperties));
            router = startService(new LocalService("moe-router", RouterApplication.class,
                    () -> new SpringApplication(RouterApplication.class),
                    properties("moe-router", options.ports.router())));
            for (int rank = 0; rank < settings.ranks(); rank++) {
                startExpert(rank);
            }
            WarmUp.await(broker.bootstrapServers(), topics(), options.readyTimeout);
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot start local mode: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        startup = Duration.ofNanos(System.nanoTime() - begin);
        return this;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** The settings the services run with, {@code modelDir} included. */
    public MoeSettings settings() {
        return settings;
    }

    public Topics topics() {
        return settings.topics();
    }

    /** The gateway's base URL; the REST API is under {@code /v1}. */
    public String gatewayUrl() {
        return gateway.url();
    }

    /** The router's base URL; its metrics are under {@code /actuator/prometheus}. */
    public String routerUrl() {
        return router.url();
    }

    /** The expert services' base URLs by rank; their metrics are under {@code /actuator/prometheus}. */
    public List<String> expertUrls() {
        return experts.values().stream().map(LocalService::url).toList();
    }

    /** Stops the gateway; prompts on the topic and expert outputs wait in Kafka until it starts again. */
    public void stopGateway() {
        if (!gateway.running()) {
            throw new IllegalStateException("the gateway is not running");
        }
        gateway.close();
    }

    /** Starts the gateway again after {@link #stopGateway}, on the same state directory. */
    public void startGateway() {
        gateway.start();
    }

    /** Stops the router; token batches wait in Kafka until it starts again. */
    public void stopRouter() {
        if (!router.running()) {
            throw new IllegalStateException("the router is not running");
        }
        router.close();
    }

    /** Starts the router again after {@link #stopRouter}. */
    public void startRouter() {
        router.start();
    }

    /** Stops the expert service of {@code rank}; its experts' rows wait in Kafka until it starts again. */
    public void stopExpert(int rank) {
        LocalService expert = experts.get(rank);
        if (expert == null || !expert.running()) {
            throw new IllegalStateException("the expert service of rank " + rank + " is not running");
        }
        expert.close();
    }

    /** Starts the expert service of {@code rank}, for the first time or again after {@link #stopExpert}. */
    public void startExpert(int rank) {
        if (rank < 0 || rank >= settings.ranks()) {
            throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (settings.ranks() - 1));
        }
        LocalService expert = experts.get(rank);
        if (expert == null) {
            String name = "moe-expert-" + rank;
            Map<String, String> properties = properties(name, options.ports.expert(rank));
            properties.put("moe.expert.rank", Integer.toString(rank));
            properties.put("moe.expert.shared", Boolean.toString(rank == 0));
            // A restarted instance then fences its predecessor's open transaction at once.
            properties.put("moe.expert.instance-id", "local");
            expert = startService(new LocalService(name, ExpertServiceApplication.class,
                    () -> ExpertServiceApplication.application().application(), properties));
            experts.put(rank, expert);
        } else {
            expert.start();
        }
    }

    /** Where everything is, for the console. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        text.append(String.format("moe-stream local mode is up (%.1f s)%n", startup.toMillis() / 1000.0));
        text.append(String.format("  model      %s%n", model.describe()));
        text.append(String.format("  Kafka      %s (topics %s*, data in %s)%n", bootstrapServers(),
                settings.topicsPrefix(), broker.dataDir()));
        text.append(String.format("  REST API   POST %s/v1/prompts, GET %s/v1/results/{id}%n", gatewayUrl(),
                gatewayUrl()));
        text.append("  metrics\n");
        List<LocalService> services = new ArrayList<>(List.of(gateway, router));
        services.addAll(experts.values());
        for (LocalService service : services) {
            text.append(String.format("    %-14s %s/actuator/prometheus%n", service.name(), service.url()));
        }
        return text.toString();
    }

    /** Stops the services in the reverse order of their start, then the broker; removes what was temporary. */
    @Override
    public void close() {
        List<AutoCloseable> reverse = new ArrayList<>(started);
        Collections.reverse(reverse);
        started.clear();
        RuntimeException failure = null;
        for (AutoCloseable part : reverse) {
            try {
                part.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("local mode did not stop cleanly: " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private LocalService startService(LocalService service) {
        started.add(service);
        service.start();
        return service;
    }

    private void createTopics() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            TopicSetup.ensure(admin, topics().all(model.layout(settings.ranks())), TOPIC_TIMEOUT);
        }
    }

    /** What every service gets. */
    private Map<String, String> properties(String name, int port) {
        Map<String, String> properties = new LinkedHashMap<>(MoeProperties.of(settings));
        properties.put("server.port", Integer.toString(port));
        properties.put("spring.kafka.bootstrap-servers", bootstrapServers());
        properties.put("spring.kafka.streams.state-dir", stateDir.resolve(name).toString());
        properties.put("management.endpoints.web.exposure.include", "health,info,prometheus");
        properties.put("spring.main.banner-mode", "off");
        // The services share one logging system, set up once: it would tag every line with the first one's name.
        properties.put("logging.include-application-name", "false");
        // The stack stops the services itself, in order, before the broker.
        properties.put("spring.main.register-shutdown-hook", "false");
        properties.putAll(LocalLogging.properties());
        properties.putAll(options.properties);
        return properties;
    }

    private static MoeSettings withModel(MoeSettings settings, Path modelDir) {
        return new MoeSettings(settings.topicsPrefix(), modelDir, settings.modelLayer(), settings.ranks(),
                settings.placement(), settings.wireType(), settings.routing());
    }

    private void deleteStateDir() throws IOException {
        try (Stream<Path> files = Files.walk(stateDir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** What to start: defaults are those of {@code ./moe local}. */
    public static final class Builder {

        private int brokerPort = 9092;
        private ServicePorts ports = ServicePorts.DEFAULT;
        private Preset preset = Preset.MIXTRAL_LIKE;
        private MoeSettings settings = new MoeSettings(null, null, 0, 1, null, null, null);
        private final Map<String, String> properties = new LinkedHashMap<>();
        private Duration readyTimeout = Duration.ofSeconds(120);

        private Builder() {
        }

        /** 0 for a free port. */
        public Builder brokerPort(int port) {
            this.brokerPort = port;
            return this;
        }

        public Builder ports(ServicePorts value) {
            this.ports = value;
            return this;
        }

        /** The preset to generate a tiny model of when the settings name no model directory. */
        public Builder preset(Preset value) {
            this.preset = value;
            return this;
        }

        /** The {@code moe.*} settings; without a model directory a model of {@link #preset} is generated. */
        public Builder settings(MoeSettings value) {
            this.settings = value;
            return this;
        }

        /** Any further property for every service (for example {@code moe.gateway.max-tokens-per-step}). */
        public Builder property(String name, String value) {
            properties.put(name, value);
            return this;
        }

        /** How long the pipeline may take to answer its first prompt. */
        public Builder readyTimeout(Duration value) {
            this.readyTimeout = value;
            return this;
        }

        /** Starts everything and returns once a prompt makes it through; stops what started when something fails. */
        public LocalStack start() {
            return new LocalStack(this).start();
        }
    }
}
