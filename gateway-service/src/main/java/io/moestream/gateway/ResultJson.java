package io.moestream.gateway;

import io.moestream.layer.BatchReassembly.Counts;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** The result JSON of docs/PIPELINE.md, as written to {@code layer-results} and served by the REST API. */
final class ResultJson {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ResultJson() {
    }

    /**
     * @param error why the status is not {@code ok}; {@code null} when it is
     * @param outputs {@code [tokens][hidden]}, or {@code null} when not asked for
     */
    static byte[] of(String id, String status, RequestState state, long latencyMs, String error, float[] outputs) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("id", id);
        result.put("status", status);
        result.put("tokens", state.tokens());
        result.put("policy", state.policy());
        result.put("capacityFactor", Double.isNaN(state.capacityFactor()) ? null : state.capacityFactor());
        Counts c = state.counts();
        Map<String, Integer> routing = new LinkedHashMap<>();
        routing.put("kept", c.kept());
        routing.put("dropped", c.dropped());
        routing.put("rerouted", c.rerouted());
        routing.put("expanded", c.expanded());
        routing.put("rectified", c.rectified());
        routing.put("filled", c.filled());
        routing.put("unavailable", state.unavailableSlots());
        result.put("routing", routing);
        result.put("latencyMs", latencyMs);
        if (error != null) {
            result.put("error", error);
        }
        if (!state.missingExperts().isEmpty()) {
            result.put("missingExperts", List.copyOf(state.missingExperts()));
        }
        if (outputs != null) {
            result.put("outputs", Map.of("dtype", "f32", "shape", List.of(state.tokens(), state.hidden()),
                    "data", base64(outputs)));
        }
        return JSON.writeValueAsBytes(result);
    }

    /** Little-endian f32, as the wire format and numpy's {@code <f4} lay them out. */
    static String base64(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
