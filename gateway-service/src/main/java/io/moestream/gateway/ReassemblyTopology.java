package io.moestream.gateway;

import io.moestream.pipeline.Topics;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The reassembly topology: {@code expert-outputs} (keyed by batch id) through {@link BatchAssembler}
 * into {@code gateway.requests} (keyed by request id, where the gateway also registers each request
 * it takes), through {@link RequestAssembler} into {@code results}. Both stores are persistent and
 * changelogged, so a restarted gateway resumes half-assembled batches and requests.
 */
final class ReassemblyTopology {

    static final String BATCH_STORE = "gateway-batches";
    static final String REQUEST_STORE = "gateway-requests";

    /** Topic and sink names the processors forward to. */
    record Names(String expertOutputs, String piecesSink, String resultsSink, String deadLetterSink) {
    }

    private ReassemblyTopology() {
    }

    static Topology build(Topics topics, GatewayTopics gatewayTopics, int hidden, GatewaySettings settings,
                          DeadLetters deadLetters, GatewayMetrics metrics) {
        Names names = new Names(topics.expertOutputs(), "pieces", "results", "dead-letter");
        ByteArrayDeserializer bytesIn = new ByteArrayDeserializer();
        ByteArraySerializer bytesOut = new ByteArraySerializer();
        Topology topology = new Topology();
        topology.addSource("expert-outputs", bytesIn, bytesIn, topics.expertOutputs());
        topology.addProcessor("batches", () -> new BatchAssembler(names, hidden, settings.deadlineMs(), deadLetters,
                metrics), "expert-outputs");
        topology.addSink(names.piecesSink(), gatewayTopics.requests(), bytesOut, bytesOut, "batches");

        topology.addSource("requests", bytesIn, bytesIn, gatewayTopics.requests());
        topology.addProcessor("request-results", () -> new RequestAssembler(names, settings.requestTimeoutMs(),
                deadLetters, metrics), "requests");
        topology.addSink(names.resultsSink(), topics.results(), bytesOut, bytesOut, "request-results");
        topology.addSink(names.deadLetterSink(), topics.deadLetter(), bytesOut, bytesOut, "batches",
                "request-results");

        // A half-assembled batch holds its hidden states, past the broker's default 1 MiB at d >= 1024: the
        // changelogs accept what the topics they are built from accept.
        Map<String, String> changelog = Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                Integer.toString(Topics.MAX_RECORD_BYTES));
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BATCH_STORE),
                Serdes.String(), Serdes.ByteArray()).withLoggingEnabled(changelog), "batches");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(REQUEST_STORE),
                Serdes.String(), Serdes.ByteArray()).withLoggingEnabled(changelog), "request-results");
        return topology;
    }
}
