package io.moestream.gateway;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Checks on result JSON shared by the tests. */
final class Results {

    private Results() {
    }

    /** The result's outputs are {@code [tokens][d]} f32 and equal {@code expected} within 1e-4 relative. */
    static void assertOutputs(JsonNode result, int tokens, float[] expected) {
        JsonNode outputs = result.get("outputs");
        assertThat(outputs.get("dtype").asString()).isEqualTo("f32");
        assertThat(outputs.get("shape").get(0).asInt()).isEqualTo(tokens);
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(outputs.get("data").asString()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(values);
        assertThat(values).hasSize(tokens * outputs.get("shape").get(1).asInt()).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            double tolerance = 1e-4 * Math.max(1, Math.abs(expected[i]));
            assertThat((double) values[i]).as("value %d", i).isCloseTo(expected[i], within(tolerance));
        }
    }
}
