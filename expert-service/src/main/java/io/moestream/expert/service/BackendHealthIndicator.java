package io.moestream.expert.service;

import io.moestream.kernels.BackendStatus;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Shows on {@code /actuator/health} which kernel backend computes and why, the fallback reason above all:
 * a GPU deployment silently running on the CPU is the failure people need to see. A fallback is still UP,
 * since outputs stay right, only slower.
 */
final class BackendHealthIndicator implements HealthIndicator {

    private final Health health;

    BackendHealthIndicator(RankKernels kernel, RankExperts experts) {
        BackendStatus status = kernel.status();
        this.health = Health.up()
                .withDetail("rank", experts.rank())
                .withDetail("experts", experts.ids())
                .withDetail("layers", experts.layers())
                .withDetail("requested", status.requested().specName())
                .withDetail("backend", status.active().specName())
                .withDetail("kernel", kernel.description())
                .withDetail("fallback", status.fellBack())
                .withDetail("reason", status.reason())
                .build();
    }

    @Override
    public Health health() {
        return health;
    }
}
