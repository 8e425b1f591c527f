package io.moestream.router.worker;

import io.moestream.decoder.ContinuousBatch;
import io.moestream.decoder.ContinuousBatch.TopToken;
import io.moestream.decoder.Generation;
import io.moestream.decoder.LayerRouting;
import io.moestream.routing.RoutingResult;
import io.moestream.text.ModelTokenizer;
import io.moestream.text.TextStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One request's progress in a dense worker: the tokens it has generated, their log-probabilities and
 * text, and its share of each step's routing, until its one result is written.
 */
final class Completion {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final CompletionRequest request;
    private final ModelTokenizer tokenizer;
    private final long acceptedNanos;
    private final List<Integer> tokens = new ArrayList<>();
    private final List<Double> logprobs = new ArrayList<>();
    private final List<List<TopToken>> top = new ArrayList<>();
    private final TextStream text;
    private final StringBuilder generatedText = new StringBuilder();
    private ContinuousBatch.PromptLogprobs promptLogprobs;
    private long firstTokenNanos = -1;
    private long kept;
    private long dropped;
    /** Slots of this request's tokens moved off experts without a live consumer, and those experts. */
    private long moved;
    private final Set<Integer> unavailable = new TreeSet<>();
    private Generation.FinishReason finish;
    private final Set<String> policies = new LinkedHashSet<>();

    Completion(CompletionRequest request, ModelTokenizer tokenizer, long acceptedNanos) {
        this.request = request;
        this.tokenizer = tokenizer;
        this.acceptedNanos = acceptedNanos;
        this.text = tokenizer == null ? null : new TextStream(tokenizer::decode);
    }

    CompletionRequest request() {
        return request;
    }

    /**
     * The batch request: the prompt, its sampling, stream 0 of its seed, and EOS as stop tokens; after
     * {@link #restore}, the prompt and the tokens already streamed, going on from there.
     */
    ContinuousBatch.Request batchRequest(Set<Integer> eos) {
        ContinuousBatch.Request fresh = new ContinuousBatch.Request(request.prompt(), request.sampling(), 0,
                request.maxTokens(), eos, Math.max(0, request.logprobs()), request.echo() && request.logprobs() >= 0);
        return tokens.isEmpty() ? fresh : fresh.resume(tokens.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Takes back the tokens an earlier owner of the request streamed (its stream records, in index order),
     * so that this one streams only the tokens after them; the completion is finished when the last carried
     * a {@code finish_reason}.
     */
    void restore(List<JsonNode> streamed) {
        for (JsonNode record : streamed) {
            List<TopToken> position = new ArrayList<>();
            for (JsonNode t : record.path("top_logprobs")) {
                position.add(new TopToken(t.get("token").asInt(), t.get("logprob").asDouble()));
            }
            append(record.get("token").asInt(), record.get("logprob").asDouble(), position,
                    record.hasNonNull("finish_reason")
                            ? Generation.FinishReason.fromApiName(record.get("finish_reason").asString()) : null);
        }
    }

    /**
     * Adds this request's tokens' slots of the step's routing in every MoE layer, and the policy of the step:
     * a control record read while the request runs switches the policy of its later steps.
     */
    void count(String policy, List<LayerRouting> routing, int firstRow, int rows) {
        policies.add(policy);
        for (LayerRouting layer : routing) {
            RoutingResult result = layer.routing();
            for (int t = firstRow; t < firstRow + rows; t++) {
                kept += result.kept(t).size();
                dropped += result.dropped(t).length;
            }
            int movedHere = layer.avoided().moved(firstRow, rows);
            if (movedHere > 0) {
                moved += movedHere;
                Arrays.stream(layer.avoided().experts()).forEach(unavailable::add);
            }
        }
    }

    /**
     * Takes one step's event; returns the text the token adds, and ends the completion at a stop
     * string (the text up to it) as at a stop token.
     */
    String take(ContinuousBatch.Event<?> event, long nowNanos) {
        if (event.prompt() != null) {
            promptLogprobs = event.prompt();
        }
        if (event.token() >= 0 && firstTokenNanos < 0) {
            firstTokenNanos = nowNanos;
        }
        return append(event.token(), event.logprob(), event.top(), event.finish());
    }

    /**
     * Adds a token (none when negative) and its text, and how the completion ended if it did; returns the text
     * added, cut at a stop string, which ends the completion as a stop token does.
     */
    private String append(int token, double logprob, List<TopToken> position, Generation.FinishReason reason) {
        String added = "";
        if (token >= 0) {
            tokens.add(token);
            logprobs.add(logprob);
            top.add(position);
            added = text == null ? "" : text.push(token);
        }
        finish = reason;
        if (finish != null && text != null) {
            added += text.finish();
        }
        generatedText.append(added);
        int stopAt = stopIndex();
        if (stopAt >= 0) {
            int before = generatedText.length() - added.length();
            generatedText.setLength(stopAt);
            added = stopAt > before ? added.substring(0, stopAt - before) : "";
            finish = Generation.FinishReason.STOP;
        }
        return added;
    }

    private int stopIndex() {
        int first = -1;
        for (String stop : request.stop()) {
            int at = generatedText.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    long sinceAccepted(long nowNanos) {
        return nowNanos - acceptedNanos;
    }

    boolean finished() {
        return finish != null;
    }

    int generated() {
        return tokens.size();
    }

    /** One stream record: {@code {"id", "index", "token", "text", "logprob"}}, plus {@code finish_reason} on the last. */
    byte[] streamRecord(int token, double logprob, String added) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", request.id());
        node.put("index", tokens.size() - 1);
        node.put("token", token);
        node.put("text", added);
        node.put("logprob", logprob);
        if (request.logprobs() > 0) {
            // Ids, not texts as in the result: what a worker that takes the request over restores.
            ArrayNode tops = node.putArray("top_logprobs");
            top.get(top.size() - 1).forEach(t -> tops.addObject().put("token", t.token()).put("logprob", t.logprob()));
        }
        if (finish != null) {
            node.put("finish_reason", finish.apiName());
        }
        return JSON.writeValueAsBytes(node);
    }

    /** The result record: {@code moe.results}' format for whole models (README, "Kafka formats"). */
    byte[] result(int rank, long nowNanos) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", request.id());
        // As the single-layer pipeline's: degraded when experts were missing, with the reason, and the text anyway.
        node.put("status", moved == 0 ? "ok" : "degraded");
        if (moved > 0) {
            node.put("error", "experts " + unavailable + " had no live consumer: " + moved
                    + " slots of this request went to its other experts");
        }
        String prefix = request.echo() ? promptText() : "";
        node.put("text", prefix + generatedText);
        ArrayNode ids = node.putArray("tokens");
        tokens.forEach(ids::add);
        if (request.logprobs() >= 0) {
            node.set("logprobs", logprobsJson());
        } else {
            node.putNull("logprobs");
        }
        node.put("finish_reason", finish.apiName());
        ObjectNode usage = node.putObject("usage");
        usage.put("prompt_tokens", request.prompt().length);
        usage.put("completion_tokens", tokens.size());
        usage.put("total_tokens", request.prompt().length + tokens.size());
        ObjectNode routing = node.putObject("routing");
        // More than one when the policy was switched while the request ran: "token-drop+rectify".
        routing.put("policy", String.join("+", policies));
        routing.put("sourceRank", rank);
        routing.put("kept", kept);
        routing.put("dropped", dropped);
        routing.put("moved", moved);
        if (moved > 0) {
            ArrayNode missing = routing.putArray("unavailableExperts");
            unavailable.forEach(missing::add);
        }
        node.put("latencyMs", (nowNanos - acceptedNanos) / 1_000_000);
        if (firstTokenNanos >= 0) {
            node.put("timeToFirstTokenMs", (firstTokenNanos - acceptedNanos) / 1e6);
        }
        return JSON.writeValueAsBytes(node);
    }

    /** An error result for a request that could not be served. */
    static byte[] error(String id, String message) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", id);
        node.put("status", "error");
        node.put("error", message);
        return JSON.writeValueAsBytes(node);
    }

    private String promptText() {
        if (request.promptText() != null) {
            return request.promptText();
        }
        return tokenizer == null ? "" : tokenizer.decode(request.prompt());
    }

    /** OpenAI's completions {@code logprobs} object: the echoed prompt's positions first when asked. */
    private ObjectNode logprobsJson() {
        ObjectNode node = JSON.createObjectNode();
        ArrayNode tokenTexts = node.putArray("tokens");
        ArrayNode values = node.putArray("token_logprobs");
        ArrayNode tops = node.putArray("top_logprobs");
        if (request.echo()) {
            int[] prompt = request.prompt();
            for (int i = 0; i < prompt.length; i++) {
                tokenTexts.add(tokenText(prompt[i]));
                if (i == 0) {
                    values.addNull();
                    tops.addNull();
                } else {
                    values.add(promptLogprobs.logprobs()[i]);
                    tops.add(topJson(promptLogprobs.top().get(i)));
                }
            }
        }
        for (int i = 0; i < tokens.size(); i++) {
            tokenTexts.add(tokenText(tokens.get(i)));
            values.add(logprobs.get(i));
            tops.add(topJson(top.get(i)));
        }
        return node;
    }

    private ObjectNode topJson(List<TopToken> top) {
        ObjectNode node = JSON.createObjectNode();
        top.forEach(t -> node.put(tokenText(t.token()), t.logprob()));
        return node;
    }

    private String tokenText(int token) {
        return tokenizer == null ? Integer.toString(token) : tokenizer.decode(new int[] {token});
    }
}
