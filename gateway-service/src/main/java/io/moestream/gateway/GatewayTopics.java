package io.moestream.gateway;

import io.moestream.pipeline.TopicLayout;
import io.moestream.pipeline.Topics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The gateway's own topic next to the shared ones: {@code gateway.requests}, keyed by request id,
 * where request registrations and the per-request pieces of completed batches meet.
 */
public record GatewayTopics(Topics topics) {

    /** How long {@code gateway.requests} keeps a request's registration and pieces. */
    static final long REQUESTS_RETENTION_MS = 3_600_000L;

    public String requests() {
        return topics.prefix() + "gateway.requests";
    }

    /** Every topic the gateway uses, to create those that are missing. */
    public List<NewTopic> all(TopicLayout layout) {
        List<NewTopic> all = new ArrayList<>(topics.all(layout));
        // Pieces carry a request's rows of a batch: hidden states.
        all.add(Topics.large(requests(), layout.sourceRanks(), REQUESTS_RETENTION_MS));
        return all;
    }
}
