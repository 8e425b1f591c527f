package io.moestream.cli;

import io.moestream.local.LocalStack;
import io.moestream.pipeline.Topics;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.databind.JsonNode;

/**
 * Drives the whole model of a running local stack as any Kafka client would (README, "Kafka formats"): request
 * JSON in on {@code prompts}, each request's one result read from {@code results} and its tokens from
 * {@code completion-stream}. Each pass sends a set of requests all at once and waits until every one has its
 * result and all its streamed tokens.
 */
final class CompletionDriver implements AutoCloseable {

    private final Topics topics;
    private final KafkaProducer<String, String> producer;
    private final AnswerReader answers;

    CompletionDriver(LocalStack stack, PrintWriter progress) {
        this.topics = stack.topics();
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer());
        this.answers = new AnswerReader(stack.bootstrapServers(),
                List.of(topics.results(), topics.completionStream()), progress);
    }

    /**
     * What one pass got back, by request index.
     *
     * @param streamed per request, the broker's append time (ms) of each streamed token, in index order: the
     *        topic is stamped by the broker, so the gaps are the stream's own, not this client's polling
     */
    record Pass(JsonNode[] results, List<long[]> streamed) {
    }

    /**
     * Sends every request at once under the ids {@code label-i} and waits for all of them.
     *
     * @param requests request fields but the id
     * @param label names the pass in ids and progress lines; unique per pass
     * @throws IllegalStateException when a request comes back with an error; one answered {@code degraded} (experts
     *         out of reach were routed around) has its text and log-probs, and counts, as the gateway counts it
     */
    Pass send(String label, List<Map<String, Object>> requests) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            String id = label + "-" + i;
            index.put(id, i);
            Map<String, Object> request = new LinkedHashMap<>(requests.get(i));
            request.put("id", id);
            producer.send(new ProducerRecord<>(topics.prompts(), id, Json.MAPPER.writeValueAsString(request)));
        }
        producer.flush();
        JsonNode[] results = new JsonNode[requests.size()];
        List<TreeMap<Integer, Long>> streamed = new ArrayList<>();
        requests.forEach(r -> streamed.add(new TreeMap<>()));
        answers.collect(label, requests.size(), record -> {
            Integer i = index.get(record.key());
            if (i == null || results[i] != null && complete(results[i], streamed.get(i))) {
                return false;
            }
            JsonNode value = Json.MAPPER.readTree(record.value());
            if (record.topic().equals(topics.results())) {
                if ("error".equals(value.path("status").asString())) {
                    throw new IllegalStateException(label + ": request " + record.key() + " failed: " + value);
                }
                results[i] = value;
            } else {
                streamed.get(i).put(value.path("index").asInt(), record.timestamp());
            }
            return results[i] != null && complete(results[i], streamed.get(i));
        });
        return new Pass(results, streamed.stream()
                .map(times -> times.values().stream().mapToLong(Long::longValue).toArray()).toList());
    }

    /** The result and the stream records come on topics of their own, so either may be read first. */
    private static boolean complete(JsonNode result, Map<Integer, Long> streamed) {
        return streamed.size() >= result.path("usage").path("completion_tokens").asInt();
    }

    @Override
    public void close() {
        producer.close();
        answers.close();
    }
}
