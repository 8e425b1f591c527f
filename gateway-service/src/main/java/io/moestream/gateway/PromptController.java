package io.moestream.gateway;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.KafkaException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The REST API: {@code POST /v1/prompts} (202 with the id once the prompt is in Kafka, 400 with the
 * reason, 503 when Kafka would not take it),
 * {@code GET /v1/results/{id}} (200 result, 202 pending, 404 unknown) and
 * {@code GET /v1/results/{id}/stream} (one server-sent event {@code result} when it is done).
 */
@RestController
class PromptController {

    private final PromptIntake intake;
    private final ResultCache results;

    PromptController(PromptIntake intake, ResultCache results) {
        this.intake = intake;
        this.results = results;
    }

    @PostMapping("/v1/prompts")
    Mono<ResponseEntity<Map<String, String>>> submit(@RequestBody(required = false) Mono<byte[]> body) {
        // Tokenizing and embedding are CPU work: off the event loop.
        return body.defaultIfEmpty(new byte[0]).publishOn(Schedulers.boundedElastic())
                .map(json -> intake.accept(json, null))
                // 202 only once the prompt is in Kafka: a gateway killed before that has not taken it.
                .flatMap(accepted -> Mono.fromFuture(accepted.sent())
                        .thenReturn(ResponseEntity.accepted().body(Map.of("id", accepted.id()))))
                .onErrorResume(BadInputException.class,
                        e -> Mono.just(ResponseEntity.badRequest().body(Map.of("error", e.getMessage()))))
                .onErrorResume(KafkaException.class, e -> Mono.just(ResponseEntity.status(
                        HttpStatus.SERVICE_UNAVAILABLE).body(Map.of("error", "the prompt could not be written to"
                        + " Kafka, send it again: " + e.getMessage()))));
    }

    @GetMapping("/v1/results/{id}")
    ResponseEntity<?> result(@PathVariable String id) {
        CompletableFuture<String> result = results.get(id);
        if (result == null) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body(Map.of("error", "unknown request id " + id));
        }
        if (!result.isDone()) {
            return ResponseEntity.accepted().body(Map.of("id", id, "status", "pending"));
        }
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(result.join());
    }

    @GetMapping(path = "/v1/results/{id}/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<Flux<ServerSentEvent<String>>> stream(@PathVariable String id) {
        CompletableFuture<String> result = results.get(id);
        if (result == null) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body(Flux.empty());
        }
        // A copy: a client that disconnects cancels its subscription, which must not cancel the shared entry.
        return ResponseEntity.ok(Mono.fromFuture(result.copy())
                .map(json -> ServerSentEvent.builder(json).id(id).event("result").build()).flux());
    }
}
