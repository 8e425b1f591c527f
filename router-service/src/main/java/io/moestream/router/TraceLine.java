package io.moestream.router;

import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** A step's logits as one line of {@code ./moe replay} input: {@code {"sourceRank": r, "logits": [[...]]}}. */
final class TraceLine {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TraceLine() {
    }

    static byte[] of(int sourceRank, double[][] logits) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("sourceRank", sourceRank);
        line.put("logits", logits);
        return JSON.writeValueAsBytes(line);
    }
}
