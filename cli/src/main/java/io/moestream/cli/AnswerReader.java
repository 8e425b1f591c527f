package io.moestream.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The reading side of the demo's Kafka drivers, as any client reads a service's answers: some topics from where
 * they ended when it started, without a group, until every request of a pass is answered, saying how far it got
 * while it waits.
 */
final class AnswerReader implements AutoCloseable {

    /** How long the services may go without completing a request before the reader gives up. */
    static final Duration STALL = Duration.ofSeconds(120);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(3);

    private final KafkaConsumer<String, String> consumer;
    private final PrintWriter progress;

    /** Read committed: the pipeline writes its results in transactions, and an aborted one must not count. */
    AnswerReader(String bootstrapServers, List<String> topics, PrintWriter progress) {
        this.progress = progress;
        this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                new StringDeserializer());
        List<TopicPartition> partitions = topics.stream().flatMap(topic -> consumer.partitionsFor(topic).stream())
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
    }

    ConsumerRecords<String, String> poll(Duration timeout) {
        return consumer.poll(timeout);
    }

    /**
     * Reads until {@code requests} requests are complete.
     *
     * @param label names the pass in progress lines and in the failure
     * @param completes takes every record read; true when that record completed a request
     * @return the {@link System#nanoTime()} at which the last request was completed
     * @throws IllegalStateException when none was completed for {@link #STALL}
     */
    long collect(String label, int requests, Predicate<ConsumerRecord<String, String>> completes) {
        int done = 0;
        long last = System.nanoTime();
        long nextProgress = last + PROGRESS_EVERY.toNanos();
        while (done < requests) {
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                if (completes.test(record)) {
                    done++;
                    last = System.nanoTime();
                }
            }
            long now = System.nanoTime();
            if (now - last > STALL.toNanos()) {
                throw new IllegalStateException(label + ": no result for " + STALL.toSeconds() + " s, "
                        + (requests - done) + " of " + requests + " requests missing");
            }
            if (now > nextProgress && done < requests) {
                progress.printf(Locale.ROOT, "  %s: %d/%d prompts...%n", label, done, requests);
                progress.flush();
                nextProgress = now + PROGRESS_EVERY.toNanos();
            }
        }
        return last;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
