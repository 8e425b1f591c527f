package io.moestream.router;

import io.moestream.pipeline.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/** {@code tokens} (raw bytes) to the dispatch processor to one sink that writes to each record's own topic. */
final class RouterTopology {

    private RouterTopology() {
    }

    /** @return the dispatch processor's output stream, already sent to its sink */
    static KStream<byte[], Outgoing> build(StreamsBuilder builder, Topics topics,
                                           ProcessorSupplier<byte[], byte[], byte[], Outgoing> dispatch) {
        KStream<byte[], Outgoing> outputs = builder
                .stream(topics.tokens(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("tokens"))
                .process(dispatch, Named.as("dispatch"));
        outputs.to(Outgoing.TOPIC, Produced.with(Serdes.ByteArray(), Outgoing.serde()).withName("outputs"));
        return outputs;
    }
}
