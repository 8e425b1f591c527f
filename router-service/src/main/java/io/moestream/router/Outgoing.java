package io.moestream.router;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.TopicNameExtractor;

/**
 * A record value with the topic it goes to: one input batch fans out to many topics through a
 * single sink, so all of its outputs belong to the same exactly-once transaction.
 */
record Outgoing(String topic, byte[] value) {

    static final TopicNameExtractor<byte[], Outgoing> TOPIC = (key, outgoing, context) -> outgoing.topic();

    static Serde<Outgoing> serde() {
        return Serdes.serdeFrom((topic, outgoing) -> outgoing.value(),
                (topic, bytes) -> {
                    throw new UnsupportedOperationException("the router never reads its own outputs");
                });
    }
}
