package io.moestream.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SafetensorsFormatTest {

    @TempDir
    Path dir;

    /** Values every one of the three types holds exactly: small integers and binary fractions. */
    static final float[] EXACT = {0f, -0f, 1f, -2f, 0.5f, 3.75f, -96f, 0x1p-14f};

    @ParameterizedTest
    @EnumSource(DType.class)
    void representableValuesRoundTripExactly(DType dtype) {
        Path file = dir.resolve("exact.safetensors");
        SafetensorsWriter.write(file, Map.of("w", Tensor.of(EXACT, 2, 4)), dtype);

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            Tensor tensor = read.tensor("w", 2, 4);
            assertThat(tensor.shape()).containsExactly(2, 4);
            for (int i = 0; i < EXACT.length; i++) {
                assertThat(Float.floatToRawIntBits(tensor.data()[i])).isEqualTo(Float.floatToRawIntBits(EXACT[i]));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void anyValueRoundTripsWithinItsTypesPrecision(DType dtype) {
        float[] values = new float[3 * 5 * 7];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-40, 40);
        }
        // Half a unit in the last place of the type, relative: 2^-11 for F16, 2^-8 for BF16.
        double relative = switch (dtype) {
            case F32 -> 0;
            case F16 -> 0x1p-11;
            case BF16 -> 0x1p-8;
        };
        Path file = dir.resolve("random.safetensors");
        SafetensorsWriter.write(file, Map.of("t", Tensor.of(values, 3, 5, 7)), dtype);

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            float[] back = read.tensor("t", 3, 5, 7).data();
            for (int i = 0; i < values.length; i++) {
                assertThat(back[i]).isCloseTo(values[i], within((float) (Math.abs(values[i]) * relative)));
            }
        }
    }

    @Test
    void readsAFileWrittenByHand() {
        // Entries out of data order, mixed types, unpadded header with spaces, metadata last.
        String header = "{ \"b16\": {\"dtype\":\"F16\", \"shape\":[2], \"data_offsets\":[8,12]},"
                + " \"a32\": {\"dtype\":\"F32\", \"shape\":[2], \"data_offsets\":[0,8]},"
                + " \"scalar\": {\"dtype\":\"BF16\", \"shape\":[], \"data_offsets\":[12,14]},"
                + " \"empty\": {\"dtype\":\"F32\", \"shape\":[0, 3], \"data_offsets\":[14,14]},"
                + " \"__metadata__\": {\"format\":\"pt\", \"source\":\"hand\"} }";
        Path file = new RawSafetensors()
                .f32(1.0f, -2.5f)
                .bits16(0x3C00, 0xC000)   // F16 1.0, -2.0
                .bits16(0x3FC0)           // BF16 1.5
                .write(dir.resolve("hand.safetensors"), header);

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertThat(read.names()).containsExactly("b16", "a32", "scalar", "empty");
            assertThat(read.metadata()).containsEntry("format", "pt").containsEntry("source", "hand");
            assertThat(read.tensor("a32").data()).containsExactly(1.0f, -2.5f);
            assertThat(read.tensor("b16").data()).containsExactly(1.0f, -2.0f);
            assertThat(read.tensor("scalar").shape()).isEmpty();
            assertThat(read.tensor("scalar").data()).containsExactly(1.5f);
            assertThat(read.tensor("empty", 0, 3).data()).isEmpty();
        }
    }

    @Test
    void writesTheReferenceLayout() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("zeta", Tensor.of(new float[] {1f, 2f}, 2));
        tensors.put("alpha", Tensor.of(new float[] {-1f, 0.5f, 4f}, 3, 1));
        Path file = dir.resolve("layout.safetensors");
        SafetensorsWriter.write(file, tensors, DType.BF16);

        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertThat(headerLength % 8).isZero();
        assertThat(bytes).hasSize((int) (8 + headerLength + 5 * 2));
        // Compact JSON, metadata first, tensors by name, padded with spaces: what the reference writes.
        assertThat(header.stripTrailing()).isEqualTo("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"alpha\":{\"dtype\":\"BF16\",\"shape\":[3,1],\"data_offsets\":[0,6]},"
                + "\"zeta\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[6,10]}}");
        assertThat(header.length() - header.stripTrailing().length()).isLessThan(8);
        // alpha[0] = -1.0 is BF16 0xBF80, stored little-endian right after the header.
        int data = (int) (8 + headerLength);
        assertThat(new byte[] {bytes[data], bytes[data + 1]}).containsExactly(0x80, 0xBF);
    }

    @Test
    void aTensorLargerThanOneMappingIsReadInChunks() {
        float[] values = new float[1001];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f - 100;
        }
        Path file = dir.resolve("chunks.safetensors");
        SafetensorsWriter.write(file, Map.of("big", Tensor.of(values, 7, 11, 13)), DType.F16);

        // 6-byte mappings: three F16 values each, and a short last chunk.
        try (SafetensorsFile read = SafetensorsFile.open(file, 6)) {
            assertThat(read.tensor("big").data()).containsExactly(values);
        }
    }
}
