package io.moestream.chaos;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes fuzz cases as a broken client would (acks=all, so that the broker's refusals show), each recorded in a
 * {@link FuzzLedger} with where it landed. The producer's own size limit is raised so that a record past a topic's
 * limit reaches the broker and is refused there, as a client configured for large records would see it.
 */
final class FuzzSender implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final FuzzLedger ledger;

    FuzzSender(String bootstrapServers, FuzzLedger ledger) {
        this.ledger = ledger;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * FuzzCorpus.PAST_BROKER_LIMIT,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    void send(FuzzCase fuzzCase) {
        // Kafka refuses the whole batch a refused record travels in: such a record goes in a batch of its own.
        boolean alone = fuzzCase.expect() == FuzzCase.Expect.REFUSED_BY_BROKER;
        if (alone) {
            producer.flush();
        }
        producer.send(new ProducerRecord<>(fuzzCase.topic(), fuzzCase.partition(), fuzzCase.key(), fuzzCase.value()),
                (metadata, error) -> {
                    if (error == null) {
                        ledger.written(fuzzCase, metadata.partition(), metadata.offset());
                    } else {
                        ledger.refused(fuzzCase, error);
                    }
                });
        if (alone) {
            producer.flush();
        }
    }

    /**
     * Sends the corpus round after round, {@code perSecond} records a second, for {@code duration}; waits until
     * Kafka has answered for each.
     *
     * @return the rounds begun
     */
    int run(FuzzCorpus corpus, double perSecond, Duration duration) {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("the fuzz rate must be positive, got " + perSecond);
        }
        long period = (long) (1e9 / perSecond);
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long next = start;
        int rounds = 0;
        while (System.nanoTime() < end) {
            for (FuzzCase fuzzCase : corpus.round(rounds)) {
                if (System.nanoTime() >= end) {
                    break;
                }
                send(fuzzCase);
                next += period;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Sleep.of(Duration.ofNanos(wait));
                }
            }
            rounds++;
        }
        producer.flush();
        return rounds;
    }

    void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
