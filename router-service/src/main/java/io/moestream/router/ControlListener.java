package io.moestream.router;

import io.moestream.pipeline.DeadLetter;
import io.moestream.pipeline.Topics;
import io.moestream.router.RouterMetrics.Output;
import io.moestream.router.RouterMetrics.Refusal;
import io.moestream.routing.Router;
import io.moestream.routing.SpecName;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Follows the compacted {@code control} topic on its own thread and swaps the live router when a
 * {@code routing} record arrives. It reads the topic from the beginning and catches up before the
 * stream starts (an earlier lifecycle phase), so the first batch is routed under the latest value.
 * A record that does not parse, names an invalid option or has another key is logged, sent to the
 * dead-letter topic, and ignored: the routing in force stays.
 */
final class ControlListener implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(ControlListener.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaClients clients;
    private final Topics topics;
    private final LiveRouting live;
    private final RouterMetrics metrics;
    private final Duration catchUpTimeout;
    private volatile boolean running;
    private KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> deadLetters;
    private Thread thread;

    ControlListener(KafkaClients clients, Topics topics, LiveRouting live, RouterMetrics metrics,
                    Duration catchUpTimeout) {
        this.clients = clients;
        this.topics = topics;
        this.live = live;
        this.metrics = metrics;
        this.catchUpTimeout = catchUpTimeout;
    }

    @Override
    public synchronized void start() {
        String clientId = topics.prefix() + "router-control-" + Integer.toHexString(System.identityHashCode(this));
        consumer = clients.consumer(clientId);
        deadLetters = clients.producer(clientId);
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.control()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            catchUp(partitions);
        } catch (RuntimeException e) {
            consumer.close();
            deadLetters.close();
            throw e;
        }
        running = true;
        thread = new Thread(this::follow, clientId);
        thread.setDaemon(true);
        thread.start();
    }

    private void catchUp(List<TopicPartition> partitions) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        long deadline = System.nanoTime() + catchUpTimeout.toNanos();
        while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + topics.control() + " to its end within "
                        + catchUpTimeout);
            }
            consumer.poll(POLL).forEach(this::handle);
        }
    }

    private void follow() {
        try {
            while (running) {
                consumer.poll(POLL).forEach(this::handle);
            }
        } catch (WakeupException e) {
            // stop() woke the consumer up
        } catch (RuntimeException e) {
            LOG.error("the control consumer stopped; routing stays as it is", e);
        } finally {
            consumer.close();
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> record) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (!ControlRecord.ROUTING_KEY.equals(key)) {
            // Likely meant as routing options: whoever wrote it learns that it changed nothing.
            metrics.control(false);
            refuse(record, (key == null ? "a control record without a key" : "control key \"" + key + "\"")
                    + " sets nothing: the router reads only \"" + ControlRecord.ROUTING_KEY + "\"");
            return;
        }
        try {
            Router router = live.apply(ControlRecord.options(record.value()));
            metrics.control(true);
            LOG.info("routing from control offset {}: policy {}, capacity factor {}", record.offset(),
                    SpecName.of(router.config().policy()), router.config().capacityFactor());
        } catch (IllegalArgumentException e) {
            metrics.control(false);
            refuse(record, e.getMessage());
        }
    }

    private void refuse(ConsumerRecord<byte[], byte[]> record, String reason) {
        LOG.warn("control record at offset {} ignored, the routing in force stays: {}", record.offset(), reason);
        ProducerRecord<byte[], byte[]> letter = DeadLetter.record(topics, DispatchProcessor.SERVICE, record.topic(),
                record.partition(), record.offset(), record.key(), record.value(), reason);
        deadLetters.send(letter, (metadata, failure) -> {
            if (failure != null) {
                LOG.error("could not write the dead letter of control offset {}", record.offset(), failure);
            }
        });
        metrics.refused(Refusal.CONTROL);
        metrics.wrote(Output.DEAD_LETTER, (letter.key() == null ? 0 : letter.key().length) + letter.value().length);
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        consumer.wakeup();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deadLetters.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the stream (Spring Kafka's default phase), so that the first batch sees the latest control value. */
    @Override
    public int getPhase() {
        return 0;
    }
}
