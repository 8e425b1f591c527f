package io.moestream.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** The gateway's meters; every label is low-cardinality (status, outcome, direction, reason class). */
public final class GatewayMetrics {

    private final MeterRegistry registry;
    private final DistributionSummary stepTokens;
    private final Counter bytesOut;
    private final Counter bytesIn;
    private final Counter degradedSteps;

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.stepTokens = DistributionSummary.builder("moe.gateway.step.tokens").baseUnit("tokens")
                .description("tokens per batch sent to the router").publishPercentileHistogram().register(registry);
        this.bytesOut = wireBytes("out");
        this.bytesIn = wireBytes("in");
        this.degradedSteps = Counter.builder("moe.gateway.steps.degraded")
                .description("batches completed without the outputs of some experts").register(registry);
    }

    private Counter wireBytes(String direction) {
        return Counter.builder("moe.gateway.wire.bytes").baseUnit("bytes").tag("direction", direction)
                .description("record bytes of token batches out and expert outputs in").register(registry);
    }

    /** A prompt taken ({@code accepted}) or refused ({@code rejected}). */
    public void prompt(String outcome) {
        registry.counter("moe.gateway.prompts", "outcome", outcome).increment();
    }

    public void batchSent(int tokens, int bytes) {
        stepTokens.record(tokens);
        bytesOut.increment(bytes);
    }

    public void expertOutputsIn(int bytes) {
        bytesIn.increment(bytes);
    }

    public void degradedStep() {
        degradedSteps.increment();
    }

    /**
     * A request's piece that reassembly did not add: {@code superseded} (of a copy of the request replaced by a
     * later one) or {@code finished} (the request had its result already).
     */
    public void partDropped(String cause) {
        registry.counter("moe.gateway.parts.dropped", "cause", cause).increment();
    }

    public void deadLetter(String reasonClass) {
        registry.counter("moe.gateway.dead.letters", "reason", reasonClass).increment();
    }

    /** A finished request: its end-to-end latency and its status ({@code ok}, {@code degraded}, {@code error}). */
    public void result(String status, long latencyMs) {
        registry.counter("moe.gateway.requests", "status", status).increment();
        Timer.builder("moe.request.latency").description("prompt accepted to result written").tag("status", status)
                .publishPercentileHistogram().register(registry).record(Duration.ofMillis(Math.max(0, latencyMs)));
    }
}
