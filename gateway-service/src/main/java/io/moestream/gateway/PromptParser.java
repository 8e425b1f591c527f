package io.moestream.gateway;

import io.moestream.text.PromptEncoder;
import java.util.UUID;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prompt JSON ({@code {"id", "prompt"}} or {@code {"id", "tokens"}}, optional {@code returnOutputs})
 * to token ids and hidden states, refusing anything else with a reason a client can act on. The same
 * rules for REST and for the {@code layer-prompts} topic.
 */
public final class PromptParser {

    /** Ids end up in record keys, logs and URLs: keep them short. */
    static final int MAX_ID_LENGTH = 200;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PromptEncoder encoder;

    public PromptParser(PromptEncoder encoder) {
        this.encoder = encoder;
    }

    /**
     * @param keyId the record key's id, used when the JSON names none; {@code null} for none
     * @throws BadInputException naming what is wrong
     */
    public EncodedPrompt parse(byte[] json, String keyId, long nowMillis) {
        JsonNode root = readObject(json);
        String id = id(root.get("id"), keyId);
        JsonNode text = root.get("prompt");
        JsonNode tokens = root.get("tokens");
        if ((text == null) == (tokens == null)) {
            throw invalidJson("give either \"prompt\" (text) or \"tokens\" (token ids), not "
                    + (text == null ? "neither" : "both"));
        }
        boolean returnOutputs = flag(root.get("returnOutputs"));
        try {
            int[] ids = text != null ? encoder.tokenize(string(text)) : tokenIds(tokens);
            return new EncodedPrompt(id, ids, encoder.embed(ids), returnOutputs, nowMillis);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("prompt-invalid", e.getMessage());
        }
    }

    private static JsonNode readObject(byte[] json) {
        if (json == null || json.length == 0) {
            throw invalidJson("the prompt record is empty");
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw invalidJson("malformed JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw invalidJson("the prompt must be a JSON object");
        }
        return root;
    }

    private static String id(JsonNode node, String keyId) {
        if (node == null || node.isNull()) {
            return keyId != null && !keyId.isBlank() ? checkedId(keyId) : UUID.randomUUID().toString();
        }
        if (!node.isString() || node.asString().isBlank()) {
            throw invalidJson("\"id\" must be a non-empty string");
        }
        return checkedId(node.asString());
    }

    private static String checkedId(String id) {
        if (id.length() > MAX_ID_LENGTH) {
            throw invalidJson("\"id\" is longer than " + MAX_ID_LENGTH + " characters");
        }
        return id;
    }

    private static String string(JsonNode text) {
        if (!text.isString()) {
            throw invalidJson("\"prompt\" must be a string");
        }
        return text.asString();
    }

    private static int[] tokenIds(JsonNode tokens) {
        if (!tokens.isArray()) {
            throw invalidJson("\"tokens\" must be an array of token ids");
        }
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = tokens.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                throw invalidJson("\"tokens\"[" + i + "] is " + id + ", not an integer token id");
            }
            ids[i] = id.asInt();
        }
        return ids;
    }

    private static boolean flag(JsonNode node) {
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw invalidJson("\"returnOutputs\" must be true or false");
        }
        return node.asBoolean();
    }

    private static BadInputException invalidJson(String reason) {
        return new BadInputException("prompt-json", reason);
    }
}
