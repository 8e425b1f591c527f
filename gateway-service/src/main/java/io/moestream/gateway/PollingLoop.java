package io.moestream.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * A consumer on its own thread handing each record to a handler, committing after each poll's
 * records are handled (at least once). The handler must not throw for bad records: it dead-letters
 * them; an exception it does throw is logged and the loop goes on. As a {@link MeterBinder} it
 * publishes its consumer's Kafka metrics (lag among them) until the consumer closes.
 */
public final class PollingLoop implements SmartLifecycle, MeterBinder {

    private static final Logger LOG = LoggerFactory.getLogger(PollingLoop.class);

    private final String name;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Consumer<KafkaConsumer<byte[], byte[]>> subscribe;
    private final Consumer<ConsumerRecord<byte[], byte[]>> handler;
    private final boolean commit;
    private final KafkaClientMetrics metrics;
    private volatile Thread thread;

    /**
     * @param subscribe subscribes or assigns the consumer, on the loop's thread
     * @param commit whether to commit offsets (a consumer in a group)
     */
    public PollingLoop(String name, KafkaConsumer<byte[], byte[]> consumer,
                       Consumer<KafkaConsumer<byte[], byte[]>> subscribe,
                       Consumer<ConsumerRecord<byte[], byte[]>> handler, boolean commit) {
        this.name = name;
        this.consumer = consumer;
        this.subscribe = subscribe;
        this.handler = handler;
        this.commit = commit;
        this.metrics = new KafkaClientMetrics(consumer);
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
                var records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    try {
                        handler.accept(record);
                    } catch (RuntimeException e) {
                        LOG.error("{}: record at {}-{}@{} failed", name, record.topic(), record.partition(),
                                record.offset(), e);
                    }
                }
                if (commit && !records.isEmpty()) {
                    consumer.commitSync();
                }
            }
        } catch (WakeupException e) {
            // stop() woke the consumer up: the loop ends and the consumer closes
        }
    }

    @Override
    public synchronized void stop() {
        Thread running = thread;
        thread = null;
        if (running != null) {
            consumer.wakeup();
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
