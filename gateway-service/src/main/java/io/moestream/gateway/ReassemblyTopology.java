package io.moestream.gateway;

import io.moestream.pipeline.Topics;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The reassembly topology: {@code expert-outputs} (keyed by batch id) through {@link BatchAssembler}
 * into {@code gateway.requests} (keyed by request id, where the gateway also registers each request
 * it takes), through {@link RequestAssembler} into {@code layer-results}. All stores are persistent and
 * changelogged, so a restarted gateway resumes half-assembled batches and requests.
 */
final class ReassemblyTopology {

    /** Per batch not yet complete its small header, {@link PendingBatch}, keyed by batch id. */
    static final String BATCH_HEADER_STORE = "gateway-batch-headers";
    /** Every part of the batches not yet complete, once, keyed by {@link PendingBatch#partKey}. */
    static final String BATCH_PART_STORE = "gateway-batch-parts";
    static final String REQUEST_STORE = "gateway-requests";
    /** When each request of the last {@link RequestAssembler#FINISHED_FOR} got its result, keyed by request id. */
    static final String FINISHED_STORE = "gateway-requests-finished";

    /** Topic and sink names the processors forward to. */
    record Names(String expertOutputs, String requests, String piecesSink, String resultsSink, String deadLetterSink) {
    }

    private ReassemblyTopology() {
    }

    static Topology build(Topics topics, GatewayTopics gatewayTopics, int hidden, GatewaySettings settings,
                          DeadLetters deadLetters, GatewayMetrics metrics) {
        Names names = new Names(topics.expertOutputs(), gatewayTopics.requests(), "pieces", "results", "dead-letter");
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
        topology.addSink(names.resultsSink(), topics.layerResults(), bytesOut, bytesOut, "request-results");
        topology.addSink(names.deadLetterSink(), topics.deadLetter(), bytesOut, bytesOut, "batches",
                "request-results");

        // Batch parts and half-assembled requests hold hidden states, past the broker's default 1 MiB at
        // d >= 1024: the changelogs accept what the topics they are built from accept.
        Map<String, String> changelog = Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                Integer.toString(Topics.MAX_RECORD_BYTES));
        topology.addStateStore(logged(BATCH_HEADER_STORE, changelog), "batches");
        topology.addStateStore(logged(BATCH_PART_STORE, changelog), "batches");
        topology.addStateStore(logged(REQUEST_STORE, changelog), "request-results");
        topology.addStateStore(logged(FINISHED_STORE, Map.of()), "request-results");
        return topology;
    }

    /** A persistent store of byte values by string key, changelogged with these topic settings. */
    private static StoreBuilder<KeyValueStore<String, byte[]>> logged(String name, Map<String, String> changelog) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                .withLoggingEnabled(changelog);
    }
}
