package io.moestream.chaos;

import io.moestream.gateway.GatewaySettings;
import io.moestream.gateway.GatewayTopics;
import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.model.ModelConfig;
import io.moestream.model.SharedExpertKind;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.TopicLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The pipeline as docker compose deploys it, on one host without containers: the 3-node cluster, the
 * model compose's one-shot job would write ({@code MOE_PRESET}, {@code MOE_SCALE}), and every service of
 * {@code docker-compose.yml} as its own JVM from its exec jar, with compose's environment. Only what a
 * container would have to itself changes: the Kafka address, the model directory, the HTTP port and the
 * Kafka Streams state directory.
 */
final class Deployment implements AutoCloseable {

    private static final Map<PipelineService.Role, Integer> HEAP_MB = Map.of(PipelineService.Role.GATEWAY, 512,
            PipelineService.Role.ROUTER, 384, PipelineService.Role.EXPERT, 384);
    private static final int SERVICE_PORT_OFFSET = 10;
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);

    private final Path work;
    private final KafkaCluster cluster;
    private final List<PipelineService> services = new ArrayList<>();
    /** Per role, the first start of one of its services, which writes the class data archive they all map. */
    private final Map<PipelineService.Role, PipelineService> trainingRuns = new EnumMap<>(PipelineService.Role.class);
    private final Map<PipelineService.Role, ClassDataArchive> archives = new EnumMap<>(PipelineService.Role.class);
    private final Path modelDir;
    private final MoeSettings settings;
    private final GatewaySettings gatewaySettings;

    /**
     * @param repository the checkout: {@code docker-compose.yml} and the services' {@code target} folders
     * @param kafkaClassPath the class path the Kafka nodes run from
     * @param shell the variables compose would interpolate from
     */
    Deployment(Path repository, Path work, int portBase, String kafkaClassPath, Function<String, String> shell) {
        this.work = work;
        this.cluster = new KafkaCluster(work, portBase, kafkaClassPath);
        this.modelDir = work.resolve("model");
        ComposeFile compose = ComposeFile.read(repository.resolve("docker-compose.yml"), shell);
        int port = portBase + SERVICE_PORT_OFFSET;
        for (PipelineService.Role role : PipelineService.Role.values()) {
            List<ComposeFile.Service> declared = compose.servicesOf(role.component());
            if (declared.isEmpty()) {
                throw new IllegalArgumentException(compose.file() + " has no service with image moe-stream/"
                        + role.component());
            }
            ClassDataArchive archive = ClassDataArchive.extract(execJar(repository, role),
                    work.resolve("jars").resolve(role.component()));
            archives.put(role, archive);
            trainingRuns.put(role, service(declared.get(0), role, declared.get(0).name() + "-cds-training",
                    archive.trainingFlags(), archive.jar(), port));
            for (ComposeFile.Service service : declared) {
                services.add(service(service, role, service.name(), archive.flags(), archive.jar(), port++));
            }
        }
        PipelineService router = services(PipelineService.Role.ROUTER).get(0);
        this.settings = ServiceSettings.moe(router.environment());
        this.gatewaySettings = ServiceSettings.gateway(services(PipelineService.Role.GATEWAY).get(0).environment());
        generateModel(shell);
    }

    private PipelineService service(ComposeFile.Service declared, PipelineService.Role role, String name,
                                    List<String> flags, Path jar, int port) {
        Map<String, String> environment = new LinkedHashMap<>(declared.environment());
        environment.put("SPRING_KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        environment.put("MOE_MODEL_DIR", modelDir.toString());
        environment.put("SERVER_PORT", Integer.toString(port));
        Path state = work.resolve("state").resolve(declared.name());
        Path tmp = work.resolve("tmp").resolve(declared.name());
        try {
            Files.createDirectories(state);
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + state + ": " + e.getMessage(), e);
        }
        environment.put("SPRING_KAFKA_STREAMS_STATE_DIR", state.toString());
        Map<String, String> processEnvironment = JvmCommand.inheritedEnvironment();
        processEnvironment.putAll(environment);
        int rank = role == PipelineService.Role.EXPERT
                ? Integer.parseInt(environment.getOrDefault("MOE_EXPERT_RANK", "0")) : -1;
        return new PipelineService(role, rank, port, environment, new ChildProcess(name, JvmCommand.jar(
                HEAP_MB.get(role), tmp, flags, jar), processEnvironment, work.resolve(name + ".log")));
    }

    private static Path execJar(Path repository, PipelineService.Role role) {
        Path target = repository.resolve(role.component()).resolve("target");
        try (var jars = Files.list(target)) {
            return jars.filter(p -> p.getFileName().toString().endsWith("-exec.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no *-exec.jar in " + target
                            + "; build first: ./mvnw -B -Dmaven.test.skip=true package"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + target + " (build first: ./mvnw -B -Dmaven.test.skip=true "
                    + "package): " + e.getMessage(), e);
        }
    }

    /** What compose's {@code model} job does: a generated model of {@code MOE_PRESET} at {@code MOE_SCALE}. */
    private void generateModel(Function<String, String> shell) {
        String preset = orDefault(shell.apply("MOE_PRESET"), "mixtral-like");
        String scale = orDefault(shell.apply("MOE_SCALE"), "tiny");
        ModelGenerator.generate(ModelSpec.of(Preset.valueOf(enumName(preset)), Scale.valueOf(enumName(scale))),
                modelDir);
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static String enumName(String specName) {
        return specName.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /**
     * Starts the cluster, creates every topic with three replicas, writes the class data archives, then starts
     * the services together, as compose.
     */
    void start(Duration timeout) {
        cluster.start(timeout);
        ModelConfig model = ModelConfig.read(modelDir).orElseThrow();
        TopicLayout layout = new TopicLayout(settings.ranks(), model.numExperts(),
                model.sharedExpert() == SharedExpertKind.NONE ? 0 : 1, 1);
        cluster.createReplicated(new GatewayTopics(settings.topics()).all(layout), timeout);
        startTogether(trainingRuns.values(), timeout);
        // A clean exit writes the archive, as a rolling restart would end the first run of a deployment.
        trainingRuns.values().forEach(run -> run.process().signal(ChildProcess.Signal.TERM));
        trainingRuns.values().forEach(run -> run.process().awaitExit(SHUTDOWN_TIMEOUT));
        archives.forEach((role, archive) -> {
            if (!Files.isRegularFile(archive.archive())) {
                throw new IllegalStateException("the first run of " + role.component() + " wrote no class data archive "
                        + archive.archive() + "; see " + trainingRuns.get(role).process().log());
            }
        });
        startTogether(services, timeout);
    }

    private static void startTogether(Collection<PipelineService> services, Duration timeout) {
        services.forEach(s -> s.process().start());
        CompletableFuture.allOf(services.stream()
                .map(s -> CompletableFuture.runAsync(() -> s.awaitReady(timeout))).toArray(CompletableFuture[]::new))
                .join();
    }

    KafkaCluster cluster() {
        return cluster;
    }

    List<PipelineService> services() {
        return List.copyOf(services);
    }

    List<PipelineService> services(PipelineService.Role role) {
        return services.stream().filter(s -> s.role() == role).toList();
    }

    /** The settings every service runs with (the router's: the routing options are given to it). */
    MoeSettings settings() {
        return settings;
    }

    GatewaySettings gatewaySettings() {
        return gatewaySettings;
    }

    /** The logs of every process, for the report. */
    List<Path> logs() {
        List<Path> logs = new ArrayList<>();
        cluster.nodes().forEach(n -> logs.add(n.log()));
        services.forEach(s -> logs.add(s.process().log()));
        trainingRuns.values().forEach(s -> logs.add(s.process().log()));
        return logs;
    }

    /** Services first, so that none of them spends its last seconds retrying a broker that is gone. */
    @Override
    public void close() {
        trainingRuns.values().forEach(PipelineService::close);
        services.forEach(PipelineService::close);
        cluster.close();
    }
}
