package io.moestream.router.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.moestream.decoder.ContinuousBatch;
import io.moestream.decoder.LayerRouting;
import io.moestream.pipeline.KafkaExperts;
import io.moestream.routing.RoutingStats;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The dense worker's meters, all tagged with its rank: requests, time to first token, inter-token
 * latency, prefill and decode tokens and step time, and per MoE layer ({@code layer} tag) the routing
 * figures of every step: slots by kind, dropped slots, and the step's straggler
 * ({@code max_e n_e / mean_e n_e}) and balancedness ({@code mean_r load_r / max_r load_r}, as SGLang and
 * vLLM report it). Per layer and expert, the kept slots ({@code moe_worker_layer_expert_load_total}),
 * the layer × expert heatmap's series, only while layers × experts stays within
 * {@link #MAX_LAYER_EXPERT_SERIES}: past that the per-layer figures remain and the heatmap is left out,
 * so that one large model cannot flood Prometheus.
 */
public final class WorkerMetrics implements KafkaExperts.RoundTrips {

    /** The most layer × expert series; DeepSeek-V2-Lite's 26 MoE layers × 64 experts is 1,664. */
    public static final int MAX_LAYER_EXPERT_SERIES = 4096;

    private final MeterRegistry registry;
    private final String rank;
    private final boolean perExpert;
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Map<String, Long> lastTokenNanos = new HashMap<>();
    private final Map<Integer, AtomicLong[]> layerGauges = new HashMap<>();

    /** @param layerExpertSeries the model's MoE layers × routed experts */
    public WorkerMetrics(MeterRegistry registry, int rank, int layerExpertSeries) {
        this.registry = registry;
        this.rank = Integer.toString(rank);
        this.perExpert = layerExpertSeries <= MAX_LAYER_EXPERT_SERIES;
        this.timeToFirstToken = Timer.builder("moe.worker.time.to.first.token")
                .description("From a request's arrival at the worker to its first token")
                .publishPercentileHistogram().tag("rank", this.rank).register(registry);
        this.interTokenLatency = Timer.builder("moe.worker.inter.token.latency")
                .description("Between two tokens of one request")
                .publishPercentileHistogram().tag("rank", this.rank).register(registry);
    }

    void accepted() {
        requests("accepted");
    }

    void refused() {
        requests("refused");
    }

    void finished(Completion completion) {
        requests("finished");
        lastTokenNanos.remove(completion.request().id());
    }

    private void requests(String outcome) {
        Counter.builder("moe.worker.requests").description("Completion requests by outcome")
                .tags("rank", rank, "outcome", outcome).register(registry).increment();
    }

    @Override
    public void roundTrip(int layer, long nanos, long bytesOut, long bytesIn) {
        Timer.builder("moe.worker.expert.round.trip")
                .description("One MoE layer's rows to the expert services and their outputs back")
                .publishPercentileHistogram().publishPercentiles(0.5, 0.99).tags("rank", rank, "layer", Integer.toString(layer)).register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
        Counter.builder("moe.worker.wire.bytes").description("Record value bytes to the experts (out) and back (in)")
                .baseUnit("bytes").tags("rank", rank, "direction", "out").register(registry).increment(bytesOut);
        Counter.builder("moe.worker.wire.bytes").description("Record value bytes to the experts (out) and back (in)")
                .baseUnit("bytes").tags("rank", rank, "direction", "in").register(registry).increment(bytesIn);
    }

    void stalled() {
        Counter.builder("moe.worker.stalled.steps").description("Steps run again because experts did not answer in time")
                .tag("rank", rank).register(registry).increment();
    }

    void token(boolean first, Completion completion) {
        long now = System.nanoTime();
        String id = completion.request().id();
        Long last = lastTokenNanos.put(id, now);
        if (first) {
            timeToFirstToken.record(completion.sinceAccepted(now), TimeUnit.NANOSECONDS);
        } else if (last != null) {
            interTokenLatency.record(now - last, TimeUnit.NANOSECONDS);
        }
    }

    void step(ContinuousBatch.Step<?> step, long nanos) {
        String phase = step.prefillTokens() > 0 ? "prefill" : "decode";
        Timer.builder("moe.worker.step").description("One step of the running batch, by whether it held a prefill")
                .tags("rank", rank, "phase", phase).register(registry).record(nanos, TimeUnit.NANOSECONDS);
        tokens("prefill", step.prefillTokens());
        tokens("decode", step.decodeTokens());
        DistributionSummary.builder("moe.worker.batch.sequences").description("Sequences in a step")
                .tag("rank", rank).register(registry).record(step.events().size());
        for (LayerRouting layer : step.routing()) {
            layer(layer.layer(), layer.routing().stats());
        }
    }

    private void tokens(String phase, int count) {
        if (count > 0) {
            Counter.builder("moe.worker.tokens").description("Tokens computed, prefill and decode")
                    .tags("rank", rank, "phase", phase).register(registry).increment(count);
        }
    }

    private void layer(int layer, RoutingStats stats) {
        String l = Integer.toString(layer);
        slots(l, "primary", stats.primary());
        slots(l, "rerouted", stats.rerouted());
        slots(l, "expanded", stats.expanded());
        slots(l, "rectified", stats.rectified());
        slots(l, "filled", stats.filled());
        slots(l, "dropped", stats.dropped());
        AtomicLong[] gauges = layerGauges.computeIfAbsent(layer, k -> {
            AtomicLong straggler = new AtomicLong();
            AtomicLong balancedness = new AtomicLong();
            registry.gauge("moe.worker.layer.straggler", io.micrometer.core.instrument.Tags.of("rank", rank,
                    "layer", l), straggler, v -> Double.longBitsToDouble(v.get()));
            registry.gauge("moe.worker.layer.balancedness", io.micrometer.core.instrument.Tags.of("rank", rank,
                    "layer", l), balancedness, v -> Double.longBitsToDouble(v.get()));
            return new AtomicLong[] {straggler, balancedness};
        });
        gauges[0].set(Double.doubleToLongBits(stats.expertStraggler()));
        gauges[1].set(Double.doubleToLongBits(balancedness(stats)));
        if (perExpert) {
            for (int e = 0; e < stats.load().size(); e++) {
                int load = stats.load().get(e);
                if (load > 0) {
                    Counter.builder("moe.worker.layer.expert.load").description("Kept slots per layer and expert")
                            .tags("rank", rank, "layer", l, "expert", Integer.toString(e)).register(registry)
                            .increment(load);
                }
            }
        }
    }

    private void slots(String layer, String kind, int count) {
        Counter counter = Counter.builder("moe.worker.layer.slots").description("Slots per MoE layer and kind")
                .tags("rank", rank, "layer", layer, "kind", kind).register(registry);
        counter.increment(count);
    }

    /** {@code mean_r load_r / max_r load_r}: 1 when every rank computes as much; 1 for an empty step. */
    static double balancedness(RoutingStats stats) {
        int max = 0;
        long sum = 0;
        for (int load : stats.rankLoad()) {
            max = Math.max(max, load);
            sum += load;
        }
        return max == 0 ? 1.0 : (double) sum / stats.rankLoad().size() / max;
    }
}
