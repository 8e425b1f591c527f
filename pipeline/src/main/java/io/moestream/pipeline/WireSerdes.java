package io.moestream.pipeline;

import io.moestream.wire.BatchPart;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RoutingManifest;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireType;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serdes for the internal records. Deserializers throw
 * {@link io.moestream.wire.WireFormatException} for a malformed record; the services send such
 * records to the dead-letter topic with that message.
 */
public final class WireSerdes {

    private WireSerdes() {
    }

    public static Serde<TokenBatch> tokenBatch(WireType wireType) {
        return serde(batch -> batch.toBytes(wireType), TokenBatch::fromBytes);
    }

    public static Serde<ExpertRows> expertRows(WireType wireType) {
        return serde(rows -> rows.toBytes(wireType), ExpertRows::fromBytes);
    }

    /** Manifests and expert rows on {@code expert-outputs}; {@code wireType} applies to the rows. */
    public static Serde<BatchPart> batchPart(WireType wireType) {
        return serde(part -> part instanceof RoutingManifest manifest ? manifest.toBytes()
                : ((ExpertRows) part).toBytes(wireType), BatchPart::fromBytes);
    }

    private static <T> Serde<T> serde(Function<T, byte[]> encode, Function<byte[], T> decode) {
        Serializer<T> serializer = (topic, value) -> value == null ? null : encode.apply(value);
        Deserializer<T> deserializer = (topic, bytes) -> bytes == null ? null : decode.apply(bytes);
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
