package io.moestream.gateway;

import java.util.concurrent.CompletableFuture;

/**
 * Where prompts enter, from REST and from the {@code layer-prompts} topic alike: parse and embed, refuse a
 * second request under an id pending here or with a result known here (a request id gets one result),
 * remember the id for the REST API, and queue the tokens for batching.
 */
public final class PromptIntake {

    private final PromptParser parser;
    private final TokenBatcher batcher;
    private final ResultCache results;
    private final GatewayMetrics metrics;

    public PromptIntake(PromptParser parser, TokenBatcher batcher, ResultCache results, GatewayMetrics metrics) {
        this.parser = parser;
        this.batcher = batcher;
        this.results = results;
        this.metrics = metrics;
    }

    /**
     * @param keyId the id a record key carries, or {@code null}
     * @return the request id, and when what the prompt became is in Kafka
     * @throws BadInputException for a prompt that is refused, with the reason
     */
    public Accepted accept(byte[] json, String keyId) {
        try {
            EncodedPrompt prompt = parser.parse(json, keyId, System.currentTimeMillis());
            if (!results.expect(prompt.id())) {
                throw new BadInputException("prompt-duplicate", "request " + prompt.id()
                        + " is pending or has its result already; a request id gets one result");
            }
            CompletableFuture<Void> sent = batcher.submit(prompt);
            metrics.prompt("accepted");
            return new Accepted(prompt.id(), sent);
        } catch (BadInputException e) {
            metrics.prompt("rejected");
            throw e;
        }
    }

    /**
     * An accepted prompt.
     *
     * @param sent completes when its registration and token batches are acknowledged by Kafka
     */
    public record Accepted(String id, CompletableFuture<Void> sent) {
    }
}
