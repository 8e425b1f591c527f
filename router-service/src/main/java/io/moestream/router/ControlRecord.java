package io.moestream.router;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The value of a {@code routing} control record: one JSON object of routing options by spec name. */
final class ControlRecord {

    /** The control topic's key for routing options. */
    static final String ROUTING_KEY = "routing";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ControlRecord() {
    }

    /**
     * @return the options as text (JSON null as {@code null}, which unsets an option); a tombstone
     *         (no value) is no option at all: back to the configured routing
     * @throws IllegalArgumentException when the value is not a JSON object of scalars
     */
    static Map<String, String> options(byte[] value) {
        if (value == null) {
            return Map.of();
        }
        JsonNode root;
        try {
            root = JSON.readTree(value);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("control value is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("control value must be a JSON object of routing options, got "
                    + new String(value, StandardCharsets.UTF_8));
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> option : root.properties()) {
            JsonNode node = option.getValue();
            if (!node.isValueNode()) {
                throw new IllegalArgumentException("routing option " + option.getKey() + " must be a string, number,"
                        + " boolean or null, got " + node);
            }
            options.put(option.getKey(), node.isNull() ? null : node.asString());
        }
        return options;
    }
}
