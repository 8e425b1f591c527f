package io.moestream.gateway;

import io.moestream.pipeline.TopicLayout;
import io.moestream.pipeline.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The gateway's own topic next to the shared ones: {@code gateway.requests}, keyed by request id,
 * where request registrations and the per-request pieces of completed batches meet.
 */
public record GatewayTopics(Topics topics) {

    private static final long HOUR_MS = 3_600_000L;

    public String requests() {
        return topics.prefix() + "gateway.requests";
    }

    /** Every topic the gateway uses, to create those that are missing. */
    public List<NewTopic> all(TopicLayout layout) {
        List<NewTopic> all = new ArrayList<>(topics.all(layout));
        all.add(new NewTopic(requests(), layout.sourceRanks(), (short) 1)
                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(HOUR_MS))));
        return all;
    }
}
