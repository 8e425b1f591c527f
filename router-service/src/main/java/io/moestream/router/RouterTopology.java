package io.moestream.router;

import io.moestream.pipeline.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.Stores;

/** {@code tokens} (raw bytes) to the dispatch processor to one sink that writes to each record's own topic. */
final class RouterTopology {

    /**
     * A persistent store that stays empty. Kafka Streams keeps its process id, and with it the transactional
     * id of exactly-once v2 ({@code <application id>-<process id>-<thread>}), in the state directory across
     * restarts only when the topology has a persistent store; without one, every start draws a new process
     * id. With the same transactional id a restarted router fences its predecessor and aborts the
     * transaction that the crash left open at once; with a new one that transaction holds back every
     * read_committed reader of the expert topics and of {@code expert-outputs}, and the router's own
     * committed offsets, until the broker times it out ({@code transaction.timeout.ms}).
     */
    static final String PROCESS_ID_STORE = "router-process-id";

    private RouterTopology() {
    }

    /** @return the dispatch processor's output stream, already sent to its sink */
    static KStream<byte[], Outgoing> build(StreamsBuilder builder, Topics topics,
                                           ProcessorSupplier<byte[], byte[], byte[], Outgoing> dispatch) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROCESS_ID_STORE),
                Serdes.ByteArray(), Serdes.ByteArray()).withLoggingDisabled());
        KStream<byte[], Outgoing> outputs = builder
                .stream(topics.tokens(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("tokens"))
                .process(dispatch, Named.as("dispatch"), PROCESS_ID_STORE);
        outputs.to(Outgoing.TOPIC, Produced.with(Serdes.ByteArray(), Outgoing.serde()).withName("outputs"));
        return outputs;
    }
}
