package io.moestream.gateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.JsonNode;

/**
 * The completions this gateway instance is waiting for, fed by {@code completion-stream} and
 * {@code results}. A token is passed on once per index: a request that a dense worker computes
 * again after taking it over from a dead one (docs/PIPELINE.md, "Whole models") streams its tokens again,
 * and the client sees each once. Events of requests this instance did not take are ignored.
 */
final class CompletionHub {

    /**
     * What one completion's client receives: tokens in order, then the result, then the end. The result may be
     * read before the last tokens (they are on another topic): it is held until every token it counts is out.
     */
    static final class Watch {
        private final Sinks.Many<JsonNode> events = Sinks.many().replay().all();
        private int nextIndex;
        private JsonNode pendingResult;
        private boolean done;

        Sinks.Many<JsonNode> events() {
            return events;
        }

        private synchronized void token(JsonNode token) {
            int index = token.path("index").asInt(-1);
            if (!done && index == nextIndex) {
                nextIndex++;
                events.tryEmitNext(token);
                endIfComplete();
            }
        }

        private synchronized void result(JsonNode result) {
            if (!done && pendingResult == null) {
                pendingResult = result;
                endIfComplete();
            }
        }

        private void endIfComplete() {
            if (pendingResult != null && nextIndex >= pendingResult.path("usage").path("completion_tokens").asInt(0)) {
                done = true;
                events.tryEmitNext(pendingResult);
                events.tryEmitComplete();
            }
        }
    }

    private final Map<String, Watch> watches = new ConcurrentHashMap<>();

    /** Starts watching for {@code id}; its events are kept until the client reads them. */
    Watch watch(String id) {
        Watch watch = new Watch();
        if (watches.putIfAbsent(id, watch) != null) {
            throw new IllegalStateException("completion " + id + " is already watched");
        }
        return watch;
    }

    void forget(String id) {
        watches.remove(id);
    }

    void token(String id, JsonNode token) {
        Watch watch = watches.get(id);
        if (watch != null) {
            watch.token(token);
        }
    }

    void result(String id, JsonNode result) {
        Watch watch = watches.get(id);
        if (watch != null) {
            watch.result(result);
        }
    }
}
