package io.moestream.local;

import io.moestream.pipeline.Topics;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.RequestSpan;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a user of the pipeline does, through Kafka and through REST, plus what a test needs to
 * watch: the token batches the gateway made, the results, the dead letters.
 */
final class PipelineClient implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /**
     * Long enough for a gateway on two busy cores (a CI machine also running the broker, the router
     * and the experts) to answer, short enough to tell a gateway that never answers.
     */
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(5);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final LocalStack stack;
    private final Topics topics;
    private final KafkaProducer<String, byte[]> producer;
    /** HTTP/1.1 as curl speaks it: the JDK's default h2c upgrade attempt is not what clients of the API send. */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final TopicTap tokens;
    private final TopicTap results;
    private final TopicTap deadLetters;

    PipelineClient(LocalStack stack) {
        this.stack = stack;
        this.topics = stack.topics();
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
        this.tokens = new TopicTap(stack, topics.tokens());
        this.results = new TopicTap(stack, topics.layerResults());
        this.deadLetters = new TopicTap(stack, topics.deadLetter());
    }

    /** The prompt JSON of docs/PIPELINE.md, asking for the outputs. */
    static byte[] prompt(String id, String text) {
        return JSON.writeValueAsBytes(Map.of("id", id, "prompt", text, "returnOutputs", true));
    }

    void send(String topic, String key, byte[] value) {
        send(new ProducerRecord<>(topic, key, value));
    }

    void send(ProducerRecord<String, byte[]> record) {
        try {
            producer.send(record).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot send to " + record.topic(), e.getCause());
        }
    }

    void sendPrompt(String id, String text) {
        send(topics.layerPrompts(), id, prompt(id, text));
    }

    /** Replaces the router's live routing options (the latest control record wins). */
    void setRouting(Map<String, ?> options) {
        send(topics.control(), "routing", JSON.writeValueAsBytes(new LinkedHashMap<>(options)));
    }

    /** {@code POST /v1/prompts}; returns the HTTP status. */
    int postPrompt(String id, String text) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.gatewayUrl() + "/v1/prompts"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(prompt(id, text)))
                .timeout(TIMEOUT)
                .build();
        return exchange(request).statusCode();
    }

    /**
     * Polls {@code GET /v1/results/{id}} on a kept-alive connection until it answers 200. A poll
     * that gets no answer at all fails: that is how a gateway left on disposed event loops, or one
     * that stopped reading a keep-alive connection (both in ContextReactorResources), showed itself.
     */
    Result getResult(String id) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.gatewayUrl() + "/v1/results/" + id))
                .timeout(POLL_TIMEOUT).GET().build();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        String last = "no answer";
        do {
            try {
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() == 200) {
                    return Result.parse(response.body());
                }
                last = response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8);
            } catch (HttpTimeoutException e) {
                throw new AssertionError("GET " + request.uri() + " got no answer within " + POLL_TIMEOUT.toMillis()
                        + " ms", e);
            } catch (IOException e) {
                throw new IllegalStateException("GET " + request.uri() + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(Duration.ofMillis(50));
        } while (System.nanoTime() < deadline);
        throw new AssertionError("GET /v1/results/" + id + " still answers " + last);
    }

    Result awaitResult(String id) {
        return Result.parse(results.await(r -> id.equals(r.key()), TIMEOUT, "result for " + id).value());
    }

    TopicTap results() {
        return results;
    }

    /** The batch that carried request {@code id}, as the gateway sent it to the router. */
    TokenBatch awaitBatch(String id) {
        return TokenBatch.fromBytes(tokens.await(r -> TokenBatch.fromBytes(r.value()).requests().stream()
                .anyMatch(span -> span.requestId().equals(id)), TIMEOUT, "token batch of " + id).value());
    }

    /** The batches that carried request {@code id}, as many as it took to hold all of its tokens. */
    List<TokenBatch> awaitBatches(String id) {
        List<TokenBatch> batches = new ArrayList<>();
        int covered = 0;
        int total;
        do {
            TokenBatch batch = awaitBatch(id);
            RequestSpan span = ReferenceLayer.spanOf(batch, id);
            batches.add(batch);
            covered += span.tokenCount();
            total = span.requestTokens();
        } while (covered < total);
        return batches;
    }

    /**
     * Sends prompts until one comes back routed under {@code policy}: the router applies a control
     * record between two batches, so the first prompts after one may still see the previous policy.
     *
     * @param send sends a prompt with the given id and returns its result
     */
    Result firstRoutedUnder(String policy, Function<String, Result> send) {
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Result result = send.apply(policy + "-" + UUID.randomUUID());
            if (policy.equals(result.policy())) {
                return result;
            }
            seen.add(result.policy());
        }
        throw new AssertionError("the router never switched to " + policy + "; results came routed under " + seen);
    }

    /** The dead letter of the record with key {@code key}. */
    String awaitDeadLetter(String key) {
        return new String(deadLetters.await(r -> key.equals(r.key()), TIMEOUT, "dead letter for " + key).value(),
                StandardCharsets.UTF_8);
    }

    private HttpResponse<byte[]> exchange(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException(request.method() + " " + request.uri() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        producer.close();
        tokens.close();
        results.close();
        deadLetters.close();
    }
}
