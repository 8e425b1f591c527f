package io.moestream.cli;

import io.moestream.local.LocalStack;
import io.moestream.pipeline.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.databind.JsonNode;

/**
 * Drives a running local stack as any Kafka client would: routing switched live on {@code control},
 * prompts in on {@code layer-prompts}, results read from {@code layer-results}. Each pass sends a set of prompts
 * all at once and scrapes the given services' metrics before and after it.
 */
final class PipelineDriver implements AutoCloseable {

    /** How long the pipeline may go without completing a request before the driver gives up. */
    private static final Duration STALL = Duration.ofSeconds(120);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(3);
    private static final Duration PROBE_WAIT = Duration.ofSeconds(5);

    private final Topics topics;
    private final List<String> metricsUrls;
    private final PrintWriter progress;
    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> results;
    private int probes;

    /** @param metricsUrls the services whose {@code /actuator/prometheus} each pass scrapes */
    PipelineDriver(LocalStack stack, List<String> metricsUrls, PrintWriter progress) {
        this.topics = stack.topics();
        this.metricsUrls = metricsUrls;
        this.progress = progress;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer());
        this.results = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                new StringDeserializer());
        List<TopicPartition> partitions = results.partitionsFor(topics.layerResults()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        results.assign(partitions);
        results.seekToEnd(partitions);
        partitions.forEach(results::position);
    }

    /**
     * What one pass got back: the results by prompt index, the time from the first send to the last
     * result, and the scrapes taken before the first send and after the last result.
     */
    record Pass(JsonNode[] results, double seconds, PrometheusScrape before, PrometheusScrape after) {

        long tokens() {
            long tokens = 0;
            for (JsonNode result : results) {
                tokens += result.path("tokens").asLong();
            }
            return tokens;
        }

        /** Requests that did not come back {@code ok}. */
        int degraded() {
            int degraded = 0;
            for (JsonNode result : results) {
                if (!"ok".equals(result.path("status").asString())) {
                    degraded++;
                }
            }
            return degraded;
        }

        /** All prompts were sent at once, so this is the pipeline's throughput, queueing included. */
        double tokensPerSecond() {
            return tokens() / seconds;
        }

        /** The nearest-rank percentile of the requests' end-to-end latency, so that it is one request's. */
        double latencyMs(double p) {
            long[] sorted = new long[results.length];
            for (int i = 0; i < results.length; i++) {
                sorted[i] = results[i].path("latencyMs").asLong();
            }
            Arrays.sort(sorted);
            return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
        }

        /** What the scraped services counted during the pass. */
        double since(String name, String... labels) {
            return after.since(before, name, labels);
        }

        /** The mean of what a summary observed during the pass (the router's are once per step); 0 if nothing. */
        double mean(String summary, String... labels) {
            double count = since(summary + "_count", labels);
            return count == 0 ? 0 : since(summary + "_sum", labels) / count;
        }
    }

    /**
     * Sends the control record, then one-token probes until a result comes back routed under {@code policy}.
     *
     * @param capacityFactor {@code null} for none
     */
    void switchTo(String policy, Double capacityFactor) {
        Map<String, Object> control = new LinkedHashMap<>();
        control.put("policy", policy);
        control.put("capacity-factor", capacityFactor);
        producer.send(new ProducerRecord<>(topics.control(), "routing", Json.MAPPER.writeValueAsString(control)));
        long deadline = System.nanoTime() + STALL.toNanos();
        while (System.nanoTime() < deadline) {
            String id = "probe-" + probes++;
            producer.send(new ProducerRecord<>(topics.layerPrompts(), id,
                    "{\"id\": \"" + id + "\", \"tokens\": [0]}"));
            long probeDeadline = System.nanoTime() + PROBE_WAIT.toNanos();
            while (System.nanoTime() < probeDeadline) {
                for (ConsumerRecord<String, String> record : results.poll(Duration.ofMillis(100))) {
                    if (id.equals(record.key())) {
                        JsonNode result = Json.MAPPER.readTree(record.value());
                        // A result carries no capacity factor when its step ran without capacity.
                        JsonNode factor = result.path("capacityFactor");
                        if (policy.equals(result.path("policy").asString())
                                && (!factor.isNumber() || capacityFactor == null || factor.asDouble() == capacityFactor)) {
                            return;
                        }
                        probeDeadline = 0;
                    }
                }
            }
        }
        throw new IllegalStateException("the router did not switch to " + policy + " at capacity factor "
                + capacityFactor + " within " + STALL.toSeconds() + " s");
    }

    /**
     * Sends every prompt at once under request ids {@code label-i} and waits for all results.
     *
     * @param label names the pass in ids and progress lines; unique per pass
     */
    Pass send(String label, List<String> prompts, boolean returnOutputs) {
        PrometheusScrape before = PrometheusScrape.of(metricsUrls);
        Map<String, Integer> pending = new HashMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < prompts.size(); i++) {
            String id = label + "-" + i;
            pending.put(id, i);
            producer.send(new ProducerRecord<>(topics.layerPrompts(), id, Json.MAPPER.writeValueAsString(
                    Map.of("id", id, "prompt", prompts.get(i), "returnOutputs", returnOutputs))));
        }
        producer.flush();
        JsonNode[] got = new JsonNode[prompts.size()];
        long last = collect(label, pending, got);
        return new Pass(got, (last - start) / 1e9, before, PrometheusScrape.of(metricsUrls));
    }

    /** Fills {@code got} by prompt index; returns when the last result came. */
    private long collect(String label, Map<String, Integer> pending, JsonNode[] got) {
        int done = 0;
        long last = System.nanoTime();
        long nextProgress = last + PROGRESS_EVERY.toNanos();
        while (done < got.length) {
            for (ConsumerRecord<String, String> record : results.poll(Duration.ofMillis(100))) {
                Integer index = pending.remove(record.key());
                if (index != null) {
                    got[index] = Json.MAPPER.readTree(record.value());
                    done++;
                    last = System.nanoTime();
                }
            }
            long now = System.nanoTime();
            if (now - last > STALL.toNanos()) {
                throw new IllegalStateException(label + ": no result for " + STALL.toSeconds() + " s, "
                        + pending.size() + " of " + got.length + " requests missing");
            }
            if (now > nextProgress && done < got.length) {
                progress.printf(Locale.ROOT, "  %s: %d/%d prompts...%n", label, done, got.length);
                progress.flush();
                nextProgress = now + PROGRESS_EVERY.toNanos();
            }
        }
        return last;
    }

    @Override
    public void close() {
        producer.close();
        results.close();
    }
}
