package io.moestream.router;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The router's own settings next to the shared ones ({@link io.moestream.service.MoeSettingsBinder}):
 * {@code moe.expert.replicas} (partitions of each {@code expert.<e>} topic) and
 * {@code moe.router.trace-sample-rate}.
 */
record RouterProperties(Expert expert, Router router) {

    /** @param replicas expert-service instances sharing each {@code expert.<e>} topic (its partitions) */
    record Expert(Integer replicas) {
    }

    /** @param traceSampleRate the fraction of batches whose logits go to {@code router-trace}, 0..1 */
    record Router(Double traceSampleRate) {
    }

    static RouterProperties bind(Environment environment) {
        return Binder.get(environment).bind("moe", RouterProperties.class).orElse(new RouterProperties(null, null));
    }

    int expertReplicas() {
        return expert == null || expert.replicas() == null ? 1 : expert.replicas();
    }

    double traceSampleRate() {
        double rate = router == null || router.traceSampleRate() == null ? 0 : router.traceSampleRate();
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalStateException("moe.router.trace-sample-rate must be between 0 and 1, got " + rate);
        }
        return rate;
    }
}
