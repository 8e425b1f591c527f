package io.moestream.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import io.moestream.pipeline.MoeSettings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAI-compatible API of whole-model serving: {@code POST /v1/completions}, answered at once or, with
 * {@code "stream": true}, as server-sent events {@code data: {chunk}} ending with {@code data: [DONE]}; and
 * {@code GET /v1/models}. The request goes to {@code prompts} as its Kafka format (README, "Whole models
 * through Kafka"), where a dense worker takes it; the answer is built from {@code completion-stream} and
 * {@code results}.
 */
@RestController
class CompletionsController {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DONE = "[DONE]";
    /** The request fields the Kafka format carries, as the OpenAI API names them. */
    private static final String[] PASSED_ON = {"max_tokens", "temperature", "top_p", "seed", "stop", "logprobs",
        "echo"};

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final CompletionHub hub;
    private final String model;
    private final Duration quietTimeout;
    private final long created = System.currentTimeMillis() / 1000;

    /**
     * The served model's name, as {@code /v1/models} lists it, is its directory's; a completion that goes
     * {@code moe.gateway.request-timeout-ms} without a token or its result fails.
     */
    CompletionsController(KafkaProducer<byte[], byte[]> gatewayProducer, GatewayTopics topics, CompletionHub hub,
                          MoeSettings settings, GatewaySettings gateway) {
        this.producer = gatewayProducer;
        this.topic = topics.topics().prompts();
        this.hub = hub;
        this.model = settings.modelDir().toAbsolutePath().normalize().getFileName().toString();
        this.quietTimeout = Duration.ofMillis(gateway.requestTimeoutMs());
    }

    @GetMapping("/v1/models")
    Map<String, Object> models() {
        return Map.of("object", "list", "data", List.of(Map.of("id", model, "object", "model",
                "created", created, "owned_by", "moe-stream")));
    }

    @PostMapping("/v1/completions")
    Mono<ResponseEntity<?>> complete(@RequestBody(required = false) Mono<byte[]> body) {
        return body.defaultIfEmpty(new byte[0]).flatMap(bytes -> {
            JsonNode given;
            ObjectNode request;
            try {
                given = parse(bytes);
                request = kafkaRequest(given);
            } catch (BadInputException e) {
                return Mono.just(error(HttpStatus.BAD_REQUEST, e.getMessage()));
            } catch (UnknownModelException e) {
                return Mono.just(error(HttpStatus.NOT_FOUND, e.getMessage()));
            }
            String id = request.get("id").asString();
            boolean stream = given.path("stream").asBoolean(false);
            CompletionHub.Watch watch = hub.watch(id);
            Flux<JsonNode> events = watch.events().asFlux().timeout(quietTimeout).doFinally(signal -> hub.forget(id));
            Mono<ResponseEntity<?>> answer = stream
                    ? send(id, request).thenReturn(ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM)
                            .body(sse(id, events, request.has("logprobs") && !request.get("logprobs").isNull())))
                    : send(id, request).then(events.last()).map(this::answer);
            return answer
                    .onErrorResume(TimeoutException.class, e -> Mono.just(error(HttpStatus.GATEWAY_TIMEOUT,
                            "no token or result for " + id + " within " + quietTimeout.toSeconds() + " s")))
                    .onErrorResume(KafkaException.class, e -> {
                        hub.forget(id);
                        return Mono.just(error(HttpStatus.SERVICE_UNAVAILABLE, "the request could not be written"
                                + " to Kafka, send it again: " + e.getMessage()));
                    });
        });
    }

    private static JsonNode parse(byte[] bytes) {
        JsonNode body;
        try {
            body = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new BadInputException("completion", "the body is not JSON: " + e.getOriginalMessage());
        }
        if (body == null || !body.isObject()) {
            throw new BadInputException("completion", "the body must be a JSON object");
        }
        return body;
    }

    /** The request in its Kafka format, under a new id; refuses what the served API does not do. */
    private ObjectNode kafkaRequest(JsonNode body) {
        if (body.hasNonNull("model") && !body.get("model").asString().equals(model)) {
            throw new UnknownModelException("model " + body.get("model") + " is not served here; GET /v1/models"
                    + " lists " + model);
        }
        for (String one : new String[] {"n", "best_of"}) {
            if (body.hasNonNull(one) && body.get(one).asInt(0) != 1) {
                throw new BadInputException("completion", "\"" + one + "\" must be 1: one completion per request");
            }
        }
        JsonNode prompt = body.get("prompt");
        ObjectNode request = JSON.createObjectNode();
        request.put("id", "cmpl-" + UUID.randomUUID());
        if (prompt != null && prompt.isString()) {
            request.set("prompt", prompt);
        } else if (prompt != null && prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isNumber()) {
            request.set("tokens", prompt);
        } else if (prompt != null && prompt.isArray() && prompt.size() == 1 && prompt.get(0).isString()) {
            request.set("prompt", prompt.get(0));
        } else {
            throw new BadInputException("completion", "\"prompt\" must be a string or an array of token ids (one prompt per"
                    + " request)");
        }
        for (String field : PASSED_ON) {
            if (body.has(field)) {
                request.set(field, body.get(field));
            }
        }
        return request;
    }

    private Mono<Void> send(String id, ObjectNode request) {
        return Mono.fromFuture(() -> {
            CompletableFuture<Void> sent = new CompletableFuture<>();
            producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
                    JSON.writeValueAsBytes(request)), (metadata, e) -> {
                        if (e == null) {
                            sent.complete(null);
                        } else {
                            sent.completeExceptionally(e);
                        }
                    });
            return sent;
        });
    }

    /** The whole answer from the worker's result. */
    private ResponseEntity<?> answer(JsonNode result) {
        if (failed(result)) {
            return error(HttpStatus.BAD_REQUEST, result.path("error").asString());
        }
        ObjectNode body = chunk(result.get("id").asString(), result.get("text").asString(), result.get("logprobs"),
                result.get("finish_reason").asString());
        body.set("usage", result.get("usage"));
        body.set("routing", result.get("routing"));
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(JSON.writeValueAsString(body));
    }

    /** Server-sent events: a chunk per token, the last with its finish reason and the usage, then [DONE]. */
    private Flux<ServerSentEvent<String>> sse(String id, Flux<JsonNode> events, boolean logprobs) {
        return events.map(event -> {
            if (event.has("status")) {
                if (failed(event)) {
                    ObjectNode error = JSON.createObjectNode();
                    error.putObject("error").put("message", event.path("error").asString())
                            .put("type", "invalid_request_error");
                    return error;
                }
                ObjectNode last = chunk(id, "", null, event.get("finish_reason").asString());
                last.set("usage", event.get("usage"));
                return last;
            }
            return chunk(id, event.get("text").asString(), logprobs ? tokenLogprobs(event) : null, null);
        }).map(JSON::writeValueAsString)
                .concatWith(Mono.just(DONE))
                .onErrorResume(TimeoutException.class, e -> Flux.just("{\"error\": {\"message\": \"no token or result"
                        + " within " + quietTimeout.toSeconds() + " s\", \"type\": \"timeout\"}}", DONE))
                // Spring writes "data:" and the text: the space makes the lines OpenAI's own "data: {...}", which
                // every SSE parser reads alike (one space after the colon is not part of the data).
                .map(text -> ServerSentEvent.builder(" " + text).build());
    }

    /** An error result; a degraded one still has its text (its routing says which experts were missing). */
    private static boolean failed(JsonNode result) {
        return "error".equals(result.path("status").asString());
    }

    private static JsonNode tokenLogprobs(JsonNode token) {
        ObjectNode logprobs = JSON.createObjectNode();
        logprobs.putArray("tokens").add(token.get("text").asString());
        logprobs.putArray("token_logprobs").add(token.get("logprob").asDouble());
        return logprobs;
    }

    private ObjectNode chunk(String id, String text, JsonNode logprobs, String finishReason) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", id);
        node.put("object", "text_completion");
        node.put("created", System.currentTimeMillis() / 1000);
        node.put("model", model);
        ObjectNode choice = node.putArray("choices").addObject();
        choice.put("text", text);
        choice.put("index", 0);
        choice.set("logprobs", logprobs == null || logprobs.isNull() ? null : logprobs);
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return node;
    }

    private static ResponseEntity<?> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(Map.of("error",
                Map.of("message", message, "type", status.is4xxClientError() ? "invalid_request_error" : "server_error")));
    }

    /** A request for a model this gateway does not serve. */
    private static final class UnknownModelException extends RuntimeException {
        UnknownModelException(String message) {
            super(message);
        }
    }
}
