package io.moestream.gateway;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends whose acknowledgement by Kafka completes a future, for what must not be let go before it. */
final class AcknowledgedSends {

    private static final Logger LOG = LoggerFactory.getLogger(AcknowledgedSends.class);

    private AcknowledgedSends() {
    }

    /** Sends the record; {@code acked} completes when Kafka acknowledges it, exceptionally when it cannot. */
    static void send(Producer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record,
                     CompletableFuture<Void> acked) {
        producer.send(record, (metadata, error) -> {
            if (error == null) {
                acked.complete(null);
            } else {
                LOG.error("cannot send to {}: {}", record.topic(), error.toString());
                acked.completeExceptionally(error);
            }
        });
    }

    static CompletableFuture<Void> send(Producer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        send(producer, record, acked);
        return acked;
    }
}
