package io.moestream.cli;

import io.moestream.local.LocalStack;
import io.moestream.pipeline.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.databind.JsonNode;

/**
 * Drives a running local stack as any Kafka client would: routing switched live on {@code control},
 * prompts in on {@code layer-prompts}, results read from {@code layer-results}. Each pass sends a set of prompts
 * all at once and scrapes the given services' metrics before and after it.
 */
final class PipelineDriver implements AutoCloseable {

    private static final Duration PROBE_WAIT = Duration.ofSeconds(5);
    /**
     * The gateway answers a request id once: a second driver on the same stack that numbered its probes from 0
     * again would wait out every id the first one used. So they are numbered across the JVM.
     */
    private static final AtomicLong PROBES = new AtomicLong();

    private final Topics topics;
    private final List<String> metricsUrls;
    private final KafkaProducer<String, String> producer;
    private final AnswerReader results;

    /** @param metricsUrls the services whose {@code /actuator/prometheus} each pass scrapes */
    PipelineDriver(LocalStack stack, List<String> metricsUrls, PrintWriter progress) {
        this.topics = stack.topics();
        this.metricsUrls = metricsUrls;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer());
        this.results = new AnswerReader(stack.bootstrapServers(), List.of(topics.layerResults()), progress);
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
            return Percentile.of(Arrays.stream(results).mapToDouble(r -> r.path("latencyMs").asLong()).toArray(), p);
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
        long deadline = System.nanoTime() + AnswerReader.STALL.toNanos();
        while (System.nanoTime() < deadline) {
            String id = "probe-" + PROBES.getAndIncrement();
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
                + capacityFactor + " within " + AnswerReader.STALL.toSeconds() + " s");
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
        long last = results.collect(label, got.length, record -> {
            Integer index = pending.remove(record.key());
            if (index == null) {
                return false;
            }
            got[index] = Json.MAPPER.readTree(record.value());
            return true;
        });
        return new Pass(got, (last - start) / 1e9, before, PrometheusScrape.of(metricsUrls));
    }

    @Override
    public void close() {
        producer.close();
        results.close();
    }
}
