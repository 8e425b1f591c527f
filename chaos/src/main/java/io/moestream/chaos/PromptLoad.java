package io.moestream.chaos;

import io.moestream.text.Corpus;
import io.moestream.text.Prompt;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prompts with unique ids ({@code chaos-000001}, ...) written to a prompts topic at a steady rate on a
 * thread of their own, as the README's users write them (key = id, {@code {"id", "prompt"}} and the
 * request's other fields: {@code returnOutputs} on {@code layer-prompts} so that outputs can be checked,
 * a token budget on the whole models' {@code prompts}). The texts cycle through the bundled corpus. A
 * prompt counts as accepted once Kafka acknowledged it (acks=all, idempotent): from then on the pipeline
 * owes it a result.
 */
final class PromptLoad implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final KafkaProducer<String, String> producer;
    private final String topic;
    private final String idPrefix;
    private final Map<String, Object> fields;
    private final long periodNanos;
    private final List<Prompt> texts = Corpus.bundled().prompts();
    /** Accepted prompts: id to the time it was handed to the producer (System.nanoTime). */
    private final Map<String, Long> accepted = new ConcurrentHashMap<>();
    private final Map<String, String> refused = new ConcurrentHashMap<>();
    private final AtomicInteger sent = new AtomicInteger();
    private volatile boolean running;
    private volatile long lastSendNanos;
    private Thread thread;

    /**
     * @param idPrefix the ids are this and a number: {@code chaos-} for the measured prompts
     * @param fields the request's fields besides its id and prompt
     */
    PromptLoad(String bootstrapServers, String topic, String idPrefix, double promptsPerSecond,
               Map<String, Object> fields) {
        if (!(promptsPerSecond > 0)) {
            throw new IllegalArgumentException("the prompt rate must be positive, got " + promptsPerSecond);
        }
        this.topic = topic;
        this.idPrefix = idPrefix;
        this.fields = Map.copyOf(fields);
        this.periodNanos = (long) (1e9 / promptsPerSecond);
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer());
    }

    /** A request's JSON: its id, its prompt and the request's other {@code fields}. */
    static String request(String id, String prompt, Map<String, Object> fields) {
        Map<String, Object> request = new LinkedHashMap<>(fields);
        request.put("id", id);
        request.put("prompt", prompt);
        return JSON.writeValueAsString(request);
    }

    synchronized void start() {
        running = true;
        thread = new Thread(this::run, "chaos-prompts");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long next = System.nanoTime();
        while (running) {
            int n = sent.incrementAndGet();
            String id = idPrefix + String.format("%06d", n);
            String value = request(id, texts.get((n - 1) % texts.size()).text(), fields);
            long at = System.nanoTime();
            lastSendNanos = at;
            producer.send(new ProducerRecord<>(topic, id, value), (metadata, e) -> {
                if (e == null) {
                    accepted.put(id, at);
                } else {
                    refused.put(id, e.toString());
                }
            });
            next += periodNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                Sleep.of(Duration.ofNanos(wait));
            }
        }
    }

    /** Stops sending and waits until every prompt sent is acknowledged or refused. */
    synchronized void stop() {
        running = false;
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        producer.flush();
    }

    /** Accepted prompt ids and when each was sent. */
    Map<String, Long> accepted() {
        return Map.copyOf(accepted);
    }

    /** Prompts Kafka never acknowledged, with the producer's error. */
    Map<String, String> refused() {
        return Map.copyOf(refused);
    }

    long lastSendNanos() {
        return lastSendNanos;
    }

    @Override
    public void close() {
        stop();
        producer.close(Duration.ofSeconds(5));
    }
}
