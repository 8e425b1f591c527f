package io.moestream.model;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The JSON side of checkpoints: headers, shard indexes and config.json, read strictly. */
final class Json {

    /** A repeated key would leave a tensor's location or a setting ambiguous, so it is an error. */
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    private Json() {
    }

    /** Parses {@code bytes}, taken from {@code file}, into a JSON object. */
    static JsonNode object(Path file, byte[] bytes, String what) {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JacksonException e) {
            throw new CheckpointException(file, null, what + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw CheckpointException.ofFile(file, what + " must be a JSON object");
        }
        return root;
    }

    /** Reads the whole of a small JSON file (an index or a config.json) as an object. */
    static JsonNode readObject(Path file) {
        try {
            return object(file, Files.readAllBytes(file), "the file");
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot read: " + e, e);
        }
    }

    /** A non-negative integer that fits in a long, or -1 when {@code node} is anything else. */
    static long nonNegativeLong(JsonNode node) {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
            return -1;
        }
        return node.longValue();
    }
}
