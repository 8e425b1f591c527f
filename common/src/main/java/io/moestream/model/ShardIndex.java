package io.moestream.model;

import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code model.safetensors.index.json}, the table of a sharded checkpoint:
 * {@code {"metadata": {...}, "weight_map": {"tensor.name": "model-00001-of-00002.safetensors"}}}.
 */
final class ShardIndex {

    private ShardIndex() {
    }

    /** The weight_map of {@code index}: each tensor name to the file name of its shard. */
    static Map<String, String> read(Path index) {
        JsonNode weightMap = Json.readObject(index).get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw CheckpointException.ofFile(index, "has no weight_map object");
        }
        Map<String, String> shardOf = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : weightMap.properties()) {
            JsonNode shard = entry.getValue();
            // A shard must sit beside the index: a name with a path in it could read any file.
            if (!shard.isString() || !isPlainFileName(shard.stringValue())) {
                throw new CheckpointException(index, entry.getKey(),
                        "weight_map must name a shard file in the same directory, got " + shard);
            }
            shardOf.put(entry.getKey(), shard.stringValue());
        }
        return Collections.unmodifiableMap(shardOf);
    }

    private static boolean isPlainFileName(String name) {
        Path path = Path.of(name);
        return !name.isEmpty() && path.getNameCount() == 1 && path.getFileName().toString().equals(name)
                && !name.equals("..") && !name.equals(".");
    }
}
