package io.moestream.expert.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.moestream.kernels.BackendStatus;
import java.util.concurrent.TimeUnit;

/**
 * The expert service's meters, all tagged with the rank (several ranks can share one Prometheus server,
 * and in local mode one JVM). Counts are of attempts: a poll whose transaction aborts and is redelivered
 * counts twice, while its outputs are published once.
 */
final class ExpertMetrics {

    private final MeterRegistry registry;
    private final String rank;

    ExpertMetrics(MeterRegistry registry, int rank, BackendStatus backend) {
        this.registry = registry;
        this.rank = Integer.toString(rank);
        Gauge.builder("moe.expert.backend", () -> 1)
                .description("The compute backend in use (always 1; read the tags)")
                .tags("rank", this.rank, "backend", backend.active().specName(),
                        "requested", backend.requested().specName(), "fallback", Boolean.toString(backend.fellBack()))
                .register(registry);
    }

    /** One kernel call for {@code rows} rows of {@code expert}. */
    void computed(int expert, int rows, long nanos) {
        String id = Integer.toString(expert);
        Timer.builder("moe.expert.busy").description("Kernel time per expert")
                .tags("rank", rank, "expert", id).register(registry).record(nanos, TimeUnit.NANOSECONDS);
        Counter.builder("moe.expert.rows").description("Rows computed per expert")
                .tags("rank", rank, "expert", id).register(registry).increment(rows);
        DistributionSummary.builder("moe.expert.kernel.rows").description("Rows per kernel call: the GEMM's height")
                .tags("rank", rank, "expert", id).register(registry).record(rows);
    }

    void polled(int records) {
        DistributionSummary.builder("moe.expert.batch.records").description("Records per poll")
                .tags("rank", rank).register(registry).record(records);
    }

    void wireBytes(String direction, long bytes) {
        Counter.builder("moe.expert.wire.bytes").description("Record value bytes consumed (in) and produced (out)")
                .baseUnit("bytes").tags("rank", rank, "direction", direction).register(registry).increment(bytes);
    }

    void deadLetter(Rejection why) {
        Counter.builder("moe.expert.dead.letters").description("Records sent to the dead-letter topic")
                .tags("rank", rank, "reason", why.tag()).register(registry).increment();
    }
}
