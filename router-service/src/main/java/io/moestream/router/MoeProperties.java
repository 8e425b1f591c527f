package io.moestream.router;

import io.moestream.pipeline.MoeSettings;
import io.moestream.wire.WireType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The {@code moe.*} properties as PIPELINE.md names them. Binding {@link MoeSettings} directly
 * would expect {@code moe.topics-prefix} and {@code moe.model-dir}; the documented names are
 * {@code moe.topics.prefix} and {@code moe.model.dir}, hence this nested shape.
 */
record MoeProperties(Topics topics, Model model, int ranks, List<Integer> placement, WireType wireType,
                     Map<String, String> routing, Expert expert, Router router) {

    record Topics(String prefix) {
    }

    record Model(Path dir, int layer) {
    }

    /** @param replicas expert-service instances sharing each {@code expert.<e>} topic (its partitions) */
    record Expert(Integer replicas) {

        int replicasOrDefault() {
            return replicas == null ? 1 : replicas;
        }
    }

    /** @param traceSampleRate the fraction of batches whose logits go to {@code router-trace}, 0..1 */
    record Router(Double traceSampleRate) {

        double traceSampleRateOrDefault() {
            return traceSampleRate == null ? 0 : traceSampleRate;
        }
    }

    static MoeProperties bind(Environment environment) {
        return Binder.get(environment).bind("moe", MoeProperties.class)
                .orElseThrow(() -> new IllegalStateException("moe.model.dir is required"));
    }

    MoeSettings settings() {
        if (model == null || model.dir() == null) {
            throw new IllegalStateException("moe.model.dir is required: the checkpoint directory of the model");
        }
        return new MoeSettings(topics == null ? null : topics.prefix(), model.dir(), model.layer(), ranks, placement,
                wireType, routing);
    }

    int expertReplicas() {
        return expert == null ? 1 : expert.replicasOrDefault();
    }

    double traceSampleRate() {
        double rate = router == null ? 0 : router.traceSampleRateOrDefault();
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalStateException("moe.router.trace-sample-rate must be between 0 and 1, got " + rate);
        }
        return rate;
    }
}
