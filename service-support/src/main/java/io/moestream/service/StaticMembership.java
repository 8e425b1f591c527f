package io.moestream.service;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.springframework.core.env.Environment;

/**
 * Static group membership for the services' consumer groups and Kafka Streams apps. A member with a
 * {@code group.instance.id} keeps its partitions while it is gone, up to the session timeout: a process
 * killed and started again comes back under the same id and gets them back at once, without a rebalance
 * and without waiting for the coordinator to notice that its predecessor died. Kafka Streams appends
 * {@code -<thread>} to the id for each stream thread's consumer.
 */
public final class StaticMembership {

    /**
     * How long a silent member keeps its partitions. Longer than a restart on the build machines (a kill,
     * 1-3 s, then 10-15 s for a service to start on two busy cores), so that a restarted member returns
     * before the group gives its partitions away; a member gone for good is replaced after it. Kafka's own
     * default, 45 s, leaves the partitions of a dead member idle longer. A configured
     * {@code session.timeout.ms} wins.
     */
    public static final Duration SESSION_TIMEOUT = Duration.ofSeconds(30);

    private StaticMembership() {
    }

    /** {@code config} with this process's {@link InstanceId} as its group instance id, and the session timeout. */
    public static Map<String, Object> of(Map<String, Object> config, Environment environment) {
        return of(config, InstanceId.of(environment));
    }

    /** {@code config} with {@code instanceId} as its group instance id, and the session timeout. */
    public static Map<String, Object> of(Map<String, Object> config, String instanceId) {
        return of(config, instanceId, SESSION_TIMEOUT);
    }

    /** {@code config} with {@code instanceId} as its group instance id, and {@code sessionTimeout} unless one is configured. */
    public static Map<String, Object> of(Map<String, Object> config, String instanceId, Duration sessionTimeout) {
        Map<String, Object> membership = new HashMap<>(config);
        membership.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        membership.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis());
        return membership;
    }
}
