package io.moestream.router.worker;

import io.moestream.decoder.Sampling;
import io.moestream.text.ModelTokenizer;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One completion request, as {@code prompts} carries it and the OpenAI completions API names its
 * fields: {@code {"id", "prompt" | "tokens", "max_tokens", "temperature", "top_p", "seed", "stop",
 * "logprobs", "echo"}}. Absent fields take the API's defaults (16 tokens, temperature 1, top-p 1),
 * except the seed, 0, so that a request without one is still reproducible.
 *
 * @param prompt the prompt's token ids
 * @param promptText the prompt as given, or {@code null} when given as ids
 * @param stop strings that end the text where they first appear (not included)
 * @param logprobs how many most likely tokens to report per position, or -1 for no log-probabilities
 */
public record CompletionRequest(String id, int[] prompt, String promptText, int maxTokens, Sampling sampling,
                                List<String> stop, int logprobs, boolean echo) {

    /** OpenAI's bound on {@code logprobs}. */
    static final int MAX_LOGPROBS = 20;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A request that cannot be served, with what was wrong. */
    public static final class BadRequestException extends RuntimeException {
        private final String id;

        BadRequestException(String id, String message) {
            super(message);
            this.id = id;
        }

        /** The request's id when it could be read, else {@code null}. */
        public String id() {
            return id;
        }
    }

    /**
     * Reads and checks a request.
     *
     * @param keyId the record key as text, used when the JSON has no {@code id}; may be {@code null}
     * @param tokenizer turns a text prompt into ids; {@code null} when the model has none
     * @param vocab the model's vocabulary size
     * @param maxPromptTokens the most prompt tokens accepted
     * @throws BadRequestException saying what is wrong
     */
    static CompletionRequest parse(byte[] json, String keyId, ModelTokenizer tokenizer, int vocab, int maxPromptTokens) {
        JsonNode node;
        try {
            node = json == null ? null : JSON.readTree(json);
        } catch (JacksonException e) {
            throw new BadRequestException(keyId, "not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadRequestException(keyId, "a completion request must be a JSON object");
        }
        String id = node.hasNonNull("id") ? node.get("id").asString() : keyId;
        if (id == null || id.isBlank()) {
            throw new BadRequestException(null, "the request has no id: give \"id\" or a record key");
        }
        int[] prompt;
        String promptText = null;
        if (node.has("prompt") == node.has("tokens")) {
            throw new BadRequestException(id, "give exactly one of \"prompt\" (text) and \"tokens\" (ids)");
        }
        JsonNode given = node.has("prompt") ? node.get("prompt") : node.get("tokens");
        if (given.isString()) {
            if (tokenizer == null) {
                throw new BadRequestException(id, "the model has no tokenizer: give the prompt as token ids");
            }
            promptText = given.asString();
            prompt = tokenizer.encode(promptText);
        } else if (given.isArray()) {
            prompt = ids(id, given, vocab);
        } else {
            throw new BadRequestException(id, "the prompt must be a string or an array of token ids");
        }
        if (prompt.length == 0) {
            throw new BadRequestException(id, "the prompt is empty");
        }
        if (prompt.length > maxPromptTokens) {
            throw new BadRequestException(id, "the prompt has " + prompt.length + " tokens, more than the "
                    + maxPromptTokens + " accepted");
        }
        int maxTokens = integer(id, node, "max_tokens", 16, 0, Integer.MAX_VALUE);
        double temperature = number(id, node, "temperature", 1.0);
        double topP = number(id, node, "top_p", 1.0);
        long seed = node.hasNonNull("seed") ? integerLong(id, node.get("seed")) : 0;
        Sampling sampling;
        try {
            sampling = new Sampling(temperature, topP, seed);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(id, e.getMessage());
        }
        int logprobs = node.hasNonNull("logprobs") ? integer(id, node, "logprobs", 0, 0, MAX_LOGPROBS) : -1;
        boolean echo = node.hasNonNull("echo") && bool(id, node.get("echo"));
        if (maxTokens == 0 && !echo) {
            throw new BadRequestException(id, "max_tokens 0 computes nothing without \"echo\": true");
        }
        return new CompletionRequest(id, prompt, promptText, maxTokens, sampling, stop(id, node.get("stop")), logprobs,
                echo);
    }

    private static int[] ids(String id, JsonNode array, int vocab) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode element = array.get(i);
            if (!element.isIntegralNumber() || !element.canConvertToInt() || element.asInt() < 0
                    || element.asInt() >= vocab) {
                throw new BadRequestException(id, "token " + i + " is " + element + ", expected an id in 0.."
                        + (vocab - 1));
            }
            ids[i] = element.asInt();
        }
        return ids;
    }

    private static List<String> stop(String id, JsonNode node) {
        List<String> stop = new ArrayList<>();
        if (node == null || node.isNull()) {
            return stop;
        }
        if (node.isString()) {
            stop.add(node.asString());
        } else if (node.isArray()) {
            node.forEach(s -> {
                if (!s.isString()) {
                    throw new BadRequestException(id, "\"stop\" must be a string or an array of strings, found " + s);
                }
                stop.add(s.asString());
            });
        } else {
            throw new BadRequestException(id, "\"stop\" must be a string or an array of strings");
        }
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw new BadRequestException(id, "a stop string is empty");
        }
        return stop;
    }

    private static int integer(String id, JsonNode node, String field, int absent, int min, int max) {
        if (!node.hasNonNull(field)) {
            return absent;
        }
        JsonNode value = node.get(field);
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < min || value.asInt() > max) {
            throw new BadRequestException(id, "\"" + field + "\" is " + value + ", expected an integer in " + min
                    + ".." + max);
        }
        return value.asInt();
    }

    private static long integerLong(String id, JsonNode value) {
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new BadRequestException(id, "\"seed\" is " + value + ", expected an integer");
        }
        return value.asLong();
    }

    private static double number(String id, JsonNode node, String field, double absent) {
        if (!node.hasNonNull(field)) {
            return absent;
        }
        JsonNode value = node.get(field);
        if (!value.isNumber()) {
            throw new BadRequestException(id, "\"" + field + "\" is " + value + ", expected a number");
        }
        return value.asDouble();
    }

    private static boolean bool(String id, JsonNode value) {
        if (!value.isBoolean()) {
            throw new BadRequestException(id, "\"echo\" is " + value + ", expected true or false");
        }
        return value.asBoolean();
    }
}
