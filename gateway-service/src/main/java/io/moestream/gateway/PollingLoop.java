package io.moestream.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * A consumer on its own thread handing each record to a handler. The handler must not throw for bad
 * records: it dead-letters them; an exception it does throw is logged and the loop goes on. A
 * committing loop commits a record's offset only once what the handler sent for it is acknowledged
 * ({@link AckedOffsets}), and on stop drains its sends first, so a stopped loop leaves nothing to
 * read again and a killed one loses nothing. As a {@link MeterBinder} it publishes its consumer's
 * Kafka metrics (lag among them) until the consumer closes.
 */
public final class PollingLoop implements SmartLifecycle, MeterBinder {

    private static final Logger LOG = LoggerFactory.getLogger(PollingLoop.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final String name;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Consumer<KafkaConsumer<byte[], byte[]>> subscribe;
    private final Function<ConsumerRecord<byte[], byte[]>, CompletionStage<?>> handler;
    private final AckedOffsets offsets;
    private final Runnable drain;
    private final KafkaClientMetrics metrics;
    private volatile Thread thread;

    private PollingLoop(String name, KafkaConsumer<byte[], byte[]> consumer,
                        Consumer<KafkaConsumer<byte[], byte[]>> subscribe,
                        Function<ConsumerRecord<byte[], byte[]>, CompletionStage<?>> handler,
                        AckedOffsets offsets, Runnable drain) {
        this.name = name;
        this.consumer = consumer;
        this.subscribe = subscribe;
        this.handler = handler;
        this.offsets = offsets;
        this.drain = drain;
        this.metrics = new KafkaClientMetrics(consumer);
    }

    /**
     * A loop in a consumer group that commits what was handled and acknowledged.
     *
     * @param subscribe subscribes the consumer, on the loop's thread
     * @param handler handles a record; completes when what it sent for the record is acknowledged
     * @param drain on stop, sends whatever the handler still holds and waits for the acknowledgements
     */
    public static PollingLoop committing(String name, KafkaConsumer<byte[], byte[]> consumer,
                                         Consumer<KafkaConsumer<byte[], byte[]>> subscribe,
                                         Function<ConsumerRecord<byte[], byte[]>, CompletionStage<?>> handler,
                                         Runnable drain) {
        return new PollingLoop(name, consumer, subscribe, handler, new AckedOffsets(), drain);
    }

    /**
     * A loop that only reads: it commits nothing.
     *
     * @param assign assigns the consumer its partitions and positions, on the loop's thread
     */
    public static PollingLoop reading(String name, KafkaConsumer<byte[], byte[]> consumer,
                                      Consumer<KafkaConsumer<byte[], byte[]>> assign,
                                      Consumer<ConsumerRecord<byte[], byte[]>> handler) {
        return new PollingLoop(name, consumer, assign, record -> {
            handler.accept(record);
            return CompletableFuture.completedStage(null);
        }, null, () -> { });
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        metrics.bindTo(registry);
    }

    @Override
    public synchronized void start() {
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        // Metrics first: their refresh must not read a closed consumer.
        try (consumer; metrics) {
            subscribe.accept(consumer);
            while (thread != null) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    handle(record);
                }
                // Acknowledgements arrive between polls, with or without new records.
                commitAcknowledged();
            }
            finish();
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> record) {
        CompletionStage<?> acked;
        try {
            acked = handler.apply(record);
        } catch (RuntimeException e) {
            LOG.error("{}: record at {}-{}@{} failed", name, record.topic(), record.partition(), record.offset(), e);
            acked = CompletableFuture.completedStage(null);
        }
        if (offsets != null) {
            offsets.track(new TopicPartition(record.topic(), record.partition()), record.offset(), acked);
        }
    }

    private void commitAcknowledged() {
        if (offsets == null) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> advanced = offsets.advanced(consumer.assignment());
        if (!advanced.isEmpty()) {
            try {
                consumer.commitSync(advanced);
            } catch (KafkaException e) {
                // A rebalance took the partitions: their new owner reads the uncommitted records again.
                LOG.warn("{}: cannot commit {}: {}", name, advanced, e.toString());
            }
        }
    }

    private void finish() {
        try {
            drain.run();
            commitAcknowledged();
        } catch (RuntimeException e) {
            LOG.warn("{}: stopped without committing everything handled; it is read again on the next start: {}",
                    name, e.toString());
        }
    }

    /** Ends the loop after its current poll (not woken up: the drain's commit must not be interrupted). */
    @Override
    public synchronized void stop() {
        Thread running = thread;
        thread = null;
        if (running != null) {
            try {
                running.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return thread != null;
    }
}
