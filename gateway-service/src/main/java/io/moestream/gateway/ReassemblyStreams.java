package io.moestream.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the reassembly topology for as long as the application context runs, and reports its state
 * as the {@code reassemblyStreams} health contributor: down once Kafka Streams has stopped for good.
 * As a {@link MeterBinder} it publishes Kafka Streams' metrics (its consumers' lag on the expert
 * outputs and manifests among them).
 */
public final class ReassemblyStreams implements SmartLifecycle, HealthIndicator, MeterBinder {

    private static final Logger LOG = LoggerFactory.getLogger(ReassemblyStreams.class);

    private final KafkaStreams streams;
    private final KafkaStreamsMetrics metrics;

    public ReassemblyStreams(KafkaStreams streams) {
        this.streams = streams;
        this.metrics = new KafkaStreamsMetrics(streams);
        // A bug that throws on one record must not stop reassembly for every other request.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("reassembly thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    @Override
    public Health health() {
        KafkaStreams.State state = streams.state();
        Health.Builder health = state.isRunningOrRebalancing() || state == KafkaStreams.State.CREATED
                ? Health.up() : Health.down();
        return health.withDetail("state", state.name()).build();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        metrics.bindTo(registry);
    }

    @Override
    public void start() {
        streams.start();
    }

    @Override
    public void stop() {
        metrics.close();
        // Leaving the group hands the tasks to the other instances (or to this one's successor) at
        // once, instead of after the session timeout: batches keep flowing across a rolling restart.
        streams.close(CloseOptions.timeout(Duration.ofSeconds(10))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }

    @Override
    public boolean isRunning() {
        return streams.state().isRunningOrRebalancing();
    }
}
