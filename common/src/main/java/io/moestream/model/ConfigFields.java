package io.moestream.model;

import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Typed reads of a config.json's keys, every failure naming the file and the key: the one place
 * where "absent", "null" and "wrong type" are told apart, for every reader of the file.
 */
final class ConfigFields {

    private final Path file;
    private final JsonNode root;

    ConfigFields(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    static ConfigFields read(Path file) {
        return new ConfigFields(file, Json.readObject(file));
    }

    Path file() {
        return file;
    }

    /** Whether the key is there at all, {@code null} included: for keys whose null differs from their absence. */
    boolean present(String key) {
        return root.has(key);
    }

    boolean has(String key) {
        JsonNode node = root.get(key);
        return node != null && !node.isNull();
    }

    /** A string key that must be present. */
    String string(String key) {
        JsonNode node = root.get(key);
        if (node == null || !node.isString()) {
            throw CheckpointException.ofFile(file, "has no " + key + " string");
        }
        return node.stringValue();
    }

    int required(String key) {
        if (!has(key)) {
            throw CheckpointException.ofFile(file, "has no " + key);
        }
        return nonNegativeInt(key, root.get(key));
    }

    int optional(String key, int absent) {
        return has(key) ? nonNegativeInt(key, root.get(key)) : absent;
    }

    /** A token id, or an absent or null key. */
    OptionalInt optionalId(String key) {
        return has(key) ? OptionalInt.of(nonNegativeInt(key, root.get(key))) : OptionalInt.empty();
    }

    /** A key that is one integer or an array of them, as transformers allows for {@code eos_token_id}. */
    Set<Integer> intOrArray(String key) {
        if (has(key) && !root.get(key).isArray()) {
            return Set.of(nonNegativeInt(key, root.get(key)));
        }
        return intSet(key);
    }

    double positiveNumber(String key, double absent) {
        if (!has(key)) {
            return absent;
        }
        JsonNode node = root.get(key);
        if (!node.isNumber() || !(node.doubleValue() > 0) || Double.isInfinite(node.doubleValue())) {
            throw CheckpointException.ofFile(file, key + " must be a positive number, got " + node);
        }
        return node.doubleValue();
    }

    boolean flag(String key, boolean absent) {
        if (!has(key)) {
            return absent;
        }
        JsonNode node = root.get(key);
        if (!node.isBoolean()) {
            throw CheckpointException.ofFile(file, key + " must be true or false, got " + node);
        }
        return node.booleanValue();
    }

    Set<Integer> intSet(String key) {
        Set<Integer> values = new HashSet<>();
        if (!has(key)) {
            return values;
        }
        JsonNode node = root.get(key);
        if (!node.isArray()) {
            throw CheckpointException.ofFile(file, key + " must be an array of integers, got " + node);
        }
        node.forEach(element -> values.add(nonNegativeInt(key, element)));
        return values;
    }

    /** The key's value as JSON text, for messages about settings this project does not implement. */
    String text(String key) {
        return String.valueOf(root.get(key));
    }

    void positive(String key, int value) {
        if (value < 1) {
            throw CheckpointException.ofFile(file, key + " must be at least 1, got " + value);
        }
    }

    private int nonNegativeInt(String key, JsonNode node) {
        long value = Json.nonNegativeLong(node);
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw CheckpointException.ofFile(file, key + " must be a non-negative integer, got " + node);
        }
        return (int) value;
    }
}
