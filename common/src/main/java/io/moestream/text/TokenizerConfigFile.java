package io.moestream.text;

import io.moestream.model.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The special-token settings of a {@code tokenizer_config.json}, the transformers side of a
 * tokenizer: whether to put BOS first and EOS last, and which tokens those are. A token may be
 * written as a string or as transformers' {@code AddedToken} object with a {@code "content"}.
 */
record TokenizerConfigFile(Optional<Boolean> addBosToken, Optional<Boolean> addEosToken,
                           Optional<String> bosToken, Optional<String> eosToken) {

    static final String FILE = "tokenizer_config.json";

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TokenizerConfigFile ABSENT =
            new TokenizerConfigFile(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    /** The settings in {@code modelDirectory}, all empty when it has no such file. */
    static TokenizerConfigFile read(Path modelDirectory) {
        Path file = modelDirectory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return ABSENT;
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (JacksonException e) {
            throw new CheckpointException(file, null, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot read: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file, null, "a tokenizer_config.json must be a JSON object");
        }
        return new TokenizerConfigFile(flag(file, root, "add_bos_token"), flag(file, root, "add_eos_token"),
                token(file, root, "bos_token"), token(file, root, "eos_token"));
    }

    /** Whether the file decides BOS or EOS itself, which replaces the post-processor's choice. */
    boolean decidesSpecialTokens() {
        return addBosToken.isPresent() || addEosToken.isPresent();
    }

    private static Optional<Boolean> flag(Path file, JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isBoolean()) {
            throw new CheckpointException(file, null, "field '" + field + "' must be true or false, got " + node);
        }
        return Optional.of(node.booleanValue());
    }

    private static Optional<String> token(Path file, JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node != null && node.isObject()) {
            node = node.get("content");
        }
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isString()) {
            throw new CheckpointException(file, null, "field '" + field
                    + "' must be a token string or an object with a string \"content\", got " + root.get(field));
        }
        return Optional.of(node.stringValue());
    }
}
