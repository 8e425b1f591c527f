package io.moestream.local;

import io.micrometer.core.instrument.MeterRegistry;
import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.JavaBackend;
import io.moestream.expert.service.ExpertServiceApplication;
import io.moestream.pipeline.KafkaExperts;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.pipeline.Topics;
import io.moestream.router.worker.DenseWorker;
import io.moestream.router.worker.WorkerMetrics;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.ModelTokenizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A whole model served through Kafka on a running broker: one expert service per rank, each hosting its
 * experts of every MoE layer, and one dense worker per rank (attention, norms, gate, routing, combine and
 * the KV cache), taking requests from {@code completions}. What {@code ./moe local --whole-model} and the
 * whole-model end-to-end tests run.
 */
public final class WholeModelStack implements AutoCloseable {

    /** How long a step waits for its experts before it is run again. */
    static final Duration EXPERT_DEADLINE = Duration.ofSeconds(30);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final MoeSettings settings;
    private final List<LocalService> experts = new ArrayList<>();
    private final List<DecoderEngine> engines = new ArrayList<>();
    private final List<KafkaExperts> remotes = new ArrayList<>();
    private final List<DenseWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private WholeModelStack(MoeSettings settings) {
        this.settings = settings;
    }

    /**
     * Starts the expert services, then the workers; stops what started when something fails.
     *
     * @param settings the model directory, ranks, wire type, routing options and topic prefix
     * @param properties further properties of every expert service (the backend, for one)
     * @param registry where the workers' meters go
     */
    public static WholeModelStack start(String bootstrapServers, MoeSettings settings, Path stateDir,
                                        Map<String, String> properties, MeterRegistry registry) {
        WholeModelStack stack = new WholeModelStack(settings);
        try {
            for (int rank = 0; rank < settings.ranks(); rank++) {
                stack.startExpert(bootstrapServers, rank, stateDir, properties);
            }
            for (int rank = 0; rank < settings.ranks(); rank++) {
                stack.startWorker(bootstrapServers, rank, registry);
            }
            stack.awaitServing();
        } catch (RuntimeException | Error e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    private void startExpert(String bootstrapServers, int rank, Path stateDir, Map<String, String> extra) {
        String name = "moe-expert-" + rank;
        Map<String, String> properties = new java.util.LinkedHashMap<>(MoeProperties.of(settings));
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

    private void startWorker(String bootstrapServers, int rank, MeterRegistry registry) {
        Path dir = settings.modelDir();
        DecoderEngine engine = DecoderEngine.load(dir, new JavaBackend());
        engines.add(engine);
        RoutingConfig routing = RoutingSettings.apply(engine.defaultRouting(), settings.routing());
        int experts = engine.config().moe().numExperts();
        Placement placement = settings.placement(experts);
        Topics topics = settings.topics();
        KafkaExperts remote = new KafkaExperts(bootstrapServers, topics, settings.topicsPrefix() + "worker-" + rank, rank,
                settings.wireType(), EXPERT_DEADLINE);
        remotes.add(remote);
        ModelTokenizer tokenizer = ModelTokenizer.load(dir).orElse(null);
        int moeLayers = (int) java.util.stream.IntStream.range(0, engine.config().numHiddenLayers())
                .filter(l -> engine.config().moe().isMoeLayer(l)).count();
        DenseWorker worker = new DenseWorker(bootstrapServers, topics, settings.topicsPrefix() + "worker-" + rank,
                engine.model(routing, placement, remote), rank, tokenizer, 4096, 64,
                new WorkerMetrics(registry, rank, moeLayers * experts));
        workers.add(worker);
        Thread thread = new Thread(worker, "dense-worker-" + rank);
        threads.add(thread);
        thread.start();
    }

    /**
     * Waits until every worker has partitions of {@code completions}: before, a worker that joins the group
     * later takes partitions from another, whose requests in flight are then computed twice.
     */
    private void awaitServing() {
        try {
            for (DenseWorker worker : workers) {
                if (!worker.awaitServing(READY_TIMEOUT)) {
                    throw new IllegalStateException("a dense worker got no partition of " + settings.topics().completions()
                            + " within " + READY_TIMEOUT.toSeconds() + " s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the dense workers joined their group", e);
        }
    }

    public Topics topics() {
        return settings.topics();
    }

    @Override
    public void close() {
        workers.forEach(DenseWorker::close);
        for (Thread thread : threads) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        remotes.forEach(KafkaExperts::close);
        engines.forEach(DecoderEngine::close);
        experts.forEach(LocalService::close);
    }
}
