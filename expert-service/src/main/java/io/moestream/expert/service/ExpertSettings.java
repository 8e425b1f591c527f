package io.moestream.expert.service;

import io.moestream.kernels.KernelBackend;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The expert service's own settings, {@code moe.expert.*}. Two more are read by the Kafka defaults
 * (expert-defaults.properties): {@code moe.expert.max-poll-records} and {@code moe.expert.instance-id}.
 *
 * @param rank the rank served: this instance hosts {@code L(rank)} of the placement
 * @param shared whether this instance also hosts the layer's shared experts
 * @param backend the kernel asked for; {@link io.moestream.kernels.ExpertKernels} falls back when it is not usable
 * @param threads OpenBLAS threads, 0 to keep OpenBLAS's own count
 * @param replicas instances per rank, hence partitions per expert topic
 */
public record ExpertSettings(@DefaultValue("0") int rank, @DefaultValue("false") boolean shared,
                             @DefaultValue("auto") KernelBackend backend, @DefaultValue("0") int threads,
                             @DefaultValue("1") int replicas) {

    public ExpertSettings {
        if (rank < 0 || threads < 0 || replicas < 1) {
            throw new IllegalArgumentException("moe.expert: rank and threads must not be negative and replicas must be"
                    + " at least 1, got rank=" + rank + " threads=" + threads + " replicas=" + replicas);
        }
    }
}
