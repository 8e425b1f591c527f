package io.moestream.local;

import io.micrometer.core.instrument.MeterRegistry;
import io.moestream.decoder.JavaBackend;
import io.moestream.expert.service.ExpertServiceApplication;
import io.moestream.model.DecoderConfig;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.pipeline.Topics;
import io.moestream.router.worker.DenseWorkerPool;
import io.moestream.routing.RoutingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole model served through Kafka on a running broker, without gateway or router service: one expert
 * service per rank, each hosting its experts of every MoE layer, and one dense worker per rank (attention,
 * norms, gate, routing, combine and the KV cache) under fixed routing, taking requests from
 * {@code prompts}. What the whole-model end-to-end tests run for each family; {@code ./moe local} runs
 * the dense workers in its router service instead.
 */
public final class WholeModelStack implements AutoCloseable {

    /** How long a step waits for its experts before it is run again. */
    static final Duration EXPERT_DEADLINE = Duration.ofSeconds(30);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final MoeSettings settings;
    private final List<LocalService> experts = new ArrayList<>();
    private DenseWorkerPool workers;
    /** The experts the workers route without: what the router's {@code ExpertAvailability} tells its workers. */
    private volatile int[] unavailable = new int[0];

    private WholeModelStack(MoeSettings settings) {
        this.settings = settings;
    }

    /**
     * Starts the expert services, then the workers, and returns once every worker serves a partition of
     * {@code prompts}; stops what started when something fails.
     *
     * @param settings the model directory, ranks, wire type, routing options and topic prefix
     * @param properties further properties of every expert service (the backend, for one)
     * @param registry where the workers' meters go
     */
    public static WholeModelStack start(String bootstrapServers, MoeSettings settings, Path stateDir,
                                        Map<String, String> properties, MeterRegistry registry)
            throws InterruptedException {
        WholeModelStack stack = new WholeModelStack(settings);
        try {
            for (int rank = 0; rank < settings.ranks(); rank++) {
                stack.startExpert(bootstrapServers, rank, stateDir, properties);
            }
            stack.workers = DenseWorkerPool.start(new DenseWorkerPool.Options(bootstrapServers, settings,
                    settings.topicsPrefix() + "whole", engine -> {
                        RoutingConfig routing = RoutingSettings.apply(engine.defaultRouting(), settings.routing());
                        return () -> routing;
                    }, () -> stack.unavailable, EXPERT_DEADLINE, 4096, 64), JavaBackend::new, registry);
            // Before, a worker that joins the group later takes partitions from another, whose requests in
            // flight are then computed twice.
            if (!stack.workers.awaitServing(READY_TIMEOUT)) {
                throw new IllegalStateException("a dense worker got no partition of " + settings.topics().prompts()
                        + " within " + READY_TIMEOUT.toSeconds() + " s");
            }
        } catch (RuntimeException | Error | InterruptedException e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    private void startExpert(String bootstrapServers, int rank, Path stateDir, Map<String, String> extra) {
        String name = "moe-expert-" + rank;
        Map<String, String> properties = new LinkedHashMap<>(MoeProperties.of(settings));
        properties.put("server.port", "0");
        properties.put("spring.kafka.bootstrap-servers", bootstrapServers);
        properties.put("spring.kafka.streams.state-dir", stateDir.resolve(name).toString());
        properties.put("spring.main.banner-mode", "off");
        properties.put("logging.include-application-name", "false");
        properties.put("spring.main.register-shutdown-hook", "false");
        properties.putAll(LocalLogging.properties());
        properties.put("moe.expert.rank", Integer.toString(rank));
        properties.put("moe.expert.shared", Boolean.toString(rank == 0));
        properties.put("moe.expert.instance-id", settings.topicsPrefix() + "whole");
        properties.putAll(extra);
        LocalService expert = new LocalService(name, ExpertServiceApplication.class,
                () -> ExpertServiceApplication.application().application(), properties);
        experts.add(expert);
        expert.start();
    }

    /** Crashes the dense worker serving partition {@code partition} of {@code prompts} (fault tests). */
    public void crashWorkerServing(int partition) {
        workers.servingPartition(partition).orElseThrow(() -> new IllegalStateException("no dense worker serves"
                + " partition " + partition)).crash();
    }

    /** Stops the expert service of {@code rank}, as a crash for good would (fault tests). */
    public void stopExpertService(int rank) {
        experts.get(rank).close();
    }

    /**
     * Tells the workers that the experts of {@code rank} have no live consumer, as the router's availability
     * watcher does once a dead service's session has ended: every MoE layer routes without them from then on.
     */
    public void markUnavailable(int rank) {
        int numExperts = DecoderConfig.read(settings.modelDir()).moe().numExperts();
        unavailable = settings.placement(numExperts).expertsOn(rank).clone();
    }

    public Topics topics() {
        return settings.topics();
    }

    @Override
    public void close() {
        if (workers != null) {
            workers.close();
        }
        experts.forEach(LocalService::close);
    }
}
