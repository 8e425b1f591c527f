package io.moestream.cli;

import io.moestream.layer.OutputDistance;
import io.moestream.local.LocalStack;
import io.moestream.pipeline.Topics;
import io.moestream.routing.Policy;
import io.moestream.routing.SpecName;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
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
 * Sends a set of prompts through a running local stack under one policy after another, as any
 * Kafka client would (prompts in on {@code prompts}, routing switched live on {@code control},
 * results read from {@code results}), and measures each policy. The first policy run must be
 * dropless: its outputs are the reference the others' fidelity is measured against.
 */
final class DemoRun implements AutoCloseable {

    /** How long the pipeline may go without completing a request before the demo gives up. */
    private static final Duration STALL = Duration.ofSeconds(120);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(3);
    private static final Duration PROBE_WAIT = Duration.ofSeconds(5);

    private final LocalStack stack;
    private final Topics topics;
    private final List<String> prompts;
    private final double capacityFactor;
    private final int experts;
    private final PrintWriter progress;
    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> results;
    private final Map<Integer, float[]> dropless = new HashMap<>();
    private int probes;

    DemoRun(LocalStack stack, List<String> prompts, double capacityFactor, int experts, PrintWriter progress) {
        this.stack = stack;
        this.topics = stack.topics();
        this.prompts = prompts;
        this.capacityFactor = capacityFactor;
        this.experts = experts;
        this.progress = progress;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer());
        this.results = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                new StringDeserializer());
        List<TopicPartition> partitions = results.partitionsFor(topics.results()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        results.assign(partitions);
        results.seekToEnd(partitions);
        partitions.forEach(results::position);
    }

    /**
     * Sends the prompts once under dropless without measuring: the first pass also pays for the
     * JIT compiling the kernels and the Kafka clients' code, which would make dropless look slow.
     */
    void warmUp() {
        run(SpecName.of(Policy.DROPLESS), "warm-up");
    }

    PolicyRun run(String policy) {
        return run(policy, policy);
    }

    /** @param label names the pass in the progress lines */
    private PolicyRun run(String policy, String label) {
        if (dropless.isEmpty() && !"dropless".equals(policy)) {
            throw new IllegalStateException("dropless must run first: it is the reference for fidelity");
        }
        switchTo(policy);
        RouterScrape before = RouterScrape.of(stack.routerUrl());
        Map<String, Integer> pending = new HashMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < prompts.size(); i++) {
            String id = policy + "-" + i;
            pending.put(id, i);
            producer.send(new ProducerRecord<>(topics.prompts(), id, Json.MAPPER.writeValueAsString(
                    Map.of("id", id, "prompt", prompts.get(i), "returnOutputs", true))));
        }
        producer.flush();
        Collected collected = collect(label, pending);
        double seconds = (collected.lastNanos - start) / 1e9;
        RouterScrape after = RouterScrape.of(stack.routerUrl());
        return measure(policy, collected, seconds, before, after);
    }

    /** Sends the control record, then one-token probes until a result comes back routed under {@code policy}. */
    private void switchTo(String policy) {
        Map<String, Object> control = new LinkedHashMap<>();
        control.put("policy", policy);
        control.put("capacity-factor", capacityFactor);
        producer.send(new ProducerRecord<>(topics.control(), "routing", Json.MAPPER.writeValueAsString(control)));
        long deadline = System.nanoTime() + STALL.toNanos();
        while (System.nanoTime() < deadline) {
            String id = "demo-probe-" + probes++;
            producer.send(new ProducerRecord<>(topics.prompts(), id, "{\"id\": \"" + id + "\", \"tokens\": [0]}"));
            long probeDeadline = System.nanoTime() + PROBE_WAIT.toNanos();
            while (System.nanoTime() < probeDeadline) {
                for (ConsumerRecord<String, String> record : results.poll(Duration.ofMillis(100))) {
                    if (id.equals(record.key())) {
                        if (policy.equals(Json.MAPPER.readTree(record.value()).path("policy").asString())) {
                            return;
                        }
                        probeDeadline = 0;
                    }
                }
            }
        }
        throw new IllegalStateException("the router did not switch to " + policy + " within " + STALL.toSeconds()
                + " s");
    }

    /** The results of one policy's requests, by prompt index. */
    private record Collected(JsonNode[] results, long lastNanos) {
    }

    private Collected collect(String label, Map<String, Integer> pending) {
        JsonNode[] got = new JsonNode[prompts.size()];
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
        return new Collected(got, last);
    }

    private PolicyRun measure(String policy, Collected collected, double seconds, RouterScrape before,
                              RouterScrape after) {
        JsonNode[] got = collected.results;
        long tokens = 0;
        int degraded = 0;
        long[] latencies = new long[got.length];
        double l2Sum = 0;
        double l2Worst = 0;
        double cosineSum = 0;
        double cosineWorst = 1;
        for (int i = 0; i < got.length; i++) {
            JsonNode result = got[i];
            if (!"ok".equals(result.path("status").asString())) {
                degraded++;
            }
            tokens += result.path("tokens").asLong();
            latencies[i] = result.path("latencyMs").asLong();
            float[] outputs = outputs(result);
            if ("dropless".equals(policy)) {
                dropless.put(i, outputs);
            }
            double relativeL2 = OutputDistance.relativeL2(outputs, dropless.get(i));
            double cosine = OutputDistance.cosine(outputs, dropless.get(i));
            l2Sum += relativeL2;
            l2Worst = Math.max(l2Worst, relativeL2);
            cosineSum += cosine;
            cosineWorst = Math.min(cosineWorst, cosine);
        }
        Arrays.sort(latencies);
        long steps = Math.round(after.since(before, "moe_router_batches_total"));
        double[] demand = new double[experts];
        double[] load = new double[experts];
        for (int e = 0; e < experts; e++) {
            demand[e] = after.since(before, "moe_router_slots_total", "expert=" + e, "kind=demand");
            load[e] = after.since(before, "moe_router_slots_total", "expert=" + e, "kind=kept");
        }
        double demanded = after.since(before, "moe_router_slots_total", "kind=demand");
        double dropped = after.since(before, "moe_router_slots_total", "kind=dropped");
        return new PolicyRun(policy, capacityFactor, got.length, tokens, steps, degraded, demand, load,
                demanded == 0 ? 0 : dropped / demanded,
                meanPerStep(after, before, "moe_router_expert_straggler"),
                meanPerStep(after, before, "moe_router_rank_straggler"),
                tokens / seconds, percentile(latencies, 0.50), percentile(latencies, 0.99),
                l2Sum / got.length, l2Worst, cosineSum / got.length, cosineWorst);
    }

    private static double meanPerStep(RouterScrape after, RouterScrape before, String summary) {
        double count = after.since(before, summary + "_count");
        return count == 0 ? 0 : after.since(before, summary + "_sum") / count;
    }

    /** Nearest rank, so that the figure is one request's real latency. */
    private static double percentile(long[] sorted, double p) {
        return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static float[] outputs(JsonNode result) {
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(result.path("outputs").path("data").asString()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    @Override
    public void close() {
        producer.close();
        results.close();
    }
}
