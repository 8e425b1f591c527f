package io.moestream.local;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A result JSON as the gateway writes it (docs/PIPELINE.md), with its outputs decoded. */
record Result(String id, String status, String policy, int tokens, float[] outputs, JsonNode json) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static Result parse(byte[] value) {
        JsonNode json = JSON.readTree(value);
        JsonNode data = json.path("outputs").path("data");
        return new Result(json.path("id").asString(), json.path("status").asString(), json.path("policy").asString(),
                json.path("tokens").asInt(), data.isMissingNode() ? null : littleEndianFloats(data.asString()), json);
    }

    static String idOf(byte[] value) {
        return JSON.readTree(value).path("id").asString();
    }

    private static float[] littleEndianFloats(String base64) {
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    @Override
    public String toString() {
        return json.toString().replaceAll("\"data\":\"[^\"]*\"", "\"data\":\"...\"");
    }
}
