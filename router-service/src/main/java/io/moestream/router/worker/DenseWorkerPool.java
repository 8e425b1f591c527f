package io.moestream.router.worker;

import io.micrometer.core.instrument.MeterRegistry;
import io.moestream.decoder.ComputeBackend;
import io.moestream.decoder.DecoderEngine;
import io.moestream.pipeline.KafkaExperts;
import io.moestream.pipeline.MoeSettings;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.ModelTokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dense workers of one process, one per source rank it serves, each on its own thread with its own
 * copy of the model's dense weights (a {@link DecoderEngine} is not shared between threads) and its own
 * {@link KafkaExperts}. The router service runs one for every rank; the whole-model tests run one beside
 * their expert services.
 */
public final class DenseWorkerPool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DenseWorkerPool.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    /**
     * What the workers need.
     *
     * @param instanceId this process among the workers' processes, the same across its restarts
     * @param routing the routing in force now, read before every step (the router's live routing)
     * @param unavailable the routed experts without a live consumer now, ascending: every MoE layer routes
     *        without them, and the requests they would have served are answered {@code degraded}
     * @param expertDeadline how long a step waits for its experts before it is run again
     * @param maxPromptTokens the longest prompt accepted
     * @param maxRunning the most sequences in one worker's batch
     */
    public record Options(String bootstrapServers, MoeSettings settings, String instanceId,
                          Function<DecoderEngine, Supplier<RoutingConfig>> routing, Supplier<int[]> unavailable,
                          Duration expertDeadline,
                          int maxPromptTokens, int maxRunning) {
    }

    private final List<DecoderEngine> engines = new ArrayList<>();
    private final List<KafkaExperts> experts = new ArrayList<>();
    private final List<DenseWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private DenseWorkerPool() {
    }

    /** Loads the model once per rank and starts a worker for each; stops what started when one fails. */
    public static DenseWorkerPool start(Options options, Supplier<ComputeBackend> backend, MeterRegistry registry) {
        DenseWorkerPool pool = new DenseWorkerPool();
        try {
            for (int rank = 0; rank < options.settings().ranks(); rank++) {
                pool.startWorker(options, rank, backend.get(), registry);
            }
        } catch (RuntimeException | Error e) {
            pool.close();
            throw e;
        }
        return pool;
    }

    private void startWorker(Options options, int rank, ComputeBackend backend, MeterRegistry registry) {
        MoeSettings settings = options.settings();
        DecoderEngine engine = DecoderEngine.loadWithoutRoutedExperts(settings.modelDir(), backend);
        engines.add(engine);
        String id = options.instanceId() + "-worker-r" + rank;
        int numExperts = engine.config().moe().numExperts();
        long moeLayers = IntStream.range(0, engine.config().numHiddenLayers())
                .filter(l -> engine.config().moe().isMoeLayer(l)).count();
        WorkerMetrics metrics = new WorkerMetrics(registry, rank, (int) moeLayers * numExperts);
        KafkaExperts remote = new KafkaExperts(options.bootstrapServers(), settings.topics(), id, rank,
                settings.wireType(), options.expertDeadline(), metrics, options.unavailable());
        experts.add(remote);
        Placement placement = settings.placement(numExperts);
        DenseWorker worker = new DenseWorker(options.bootstrapServers(), settings.topics(), id, engine, placement,
                remote, options.routing().apply(engine), rank, ModelTokenizer.load(settings.modelDir()).orElse(null),
                options.maxPromptTokens(), options.maxRunning(), metrics);
        workers.add(worker);
        Thread thread = new Thread(worker, "dense-worker-r" + rank);
        threads.add(thread);
        thread.start();
        LOG.info("dense worker of rank {} started on {} ({} MoE layers of {} experts, backend {})", rank,
                settings.modelDir(), moeLayers, numExperts, engine.backend());
    }

    /**
     * Waits until every worker has partitions of {@code prompts}: before, a worker that joins the group
     * later takes partitions from another, whose requests in flight it then computes again from their tokens.
     *
     * @return false when one had none by then
     */
    public boolean awaitServing(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        for (DenseWorker worker : workers) {
            if (!worker.awaitServing(Duration.ofNanos(Math.max(0, end - System.nanoTime())))) {
                return false;
            }
        }
        return true;
    }

    /** The worker serving partition {@code partition} of {@code prompts}, if one does. */
    public Optional<DenseWorker> servingPartition(int partition) {
        return workers.stream().filter(w -> w.serves(partition)).findFirst();
    }

    @Override
    public void close() {
        workers.forEach(DenseWorker::close);
        for (Thread thread : threads) {
            try {
                thread.join(CLOSE_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        experts.forEach(KafkaExperts::close);
        engines.forEach(DecoderEngine::close);
    }
}
