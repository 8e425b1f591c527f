package io.moestream.model;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every way a file can be broken fails with a message naming the file and, where it applies, the tensor. */
class SafetensorsErrorsTest {

    @TempDir
    Path dir;

    @Test
    void aFileShorterThanTheHeaderLength() {
        Path file = new RawSafetensors().write(dir.resolve("tiny.safetensors"), 0, new byte[0]);
        truncate(file, 5);
        assertFails(() -> SafetensorsFile.open(file), file, null, "truncated");
    }

    @Test
    void aHeaderLengthBeyondTheFile() {
        Path file = new RawSafetensors().write(dir.resolve("long.safetensors"), 1000, "{}".getBytes(StandardCharsets.UTF_8));
        assertFails(() -> SafetensorsFile.open(file), file, null, "header length 1000 goes beyond the end of the file");
    }

    @Test
    void aHeaderLengthThatIsNegativeAsASignedLong() {
        Path file = new RawSafetensors().write(dir.resolve("huge.safetensors"), -1, new byte[16]);
        assertFails(() -> SafetensorsFile.open(file), file, null, "header length 18446744073709551615");
    }

    @Test
    void aHeaderThatIsNotJson() {
        Path file = new RawSafetensors().write(dir.resolve("bad.safetensors"), "{\"w\": {\"dtype\": \"F32\",");
        assertFails(() -> SafetensorsFile.open(file), file, null, "the header is not valid JSON");
    }

    @Test
    void aHeaderThatIsNotAnObject() {
        Path file = new RawSafetensors().write(dir.resolve("array.safetensors"), "[1, 2]");
        assertFails(() -> SafetensorsFile.open(file), file, null, "the header must be a JSON object");
    }

    @Test
    void aTensorListedTwice() {
        String entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        Path file = new RawSafetensors().f32(1f).write(dir.resolve("twice.safetensors"),
                "{\"w\":" + entry + ",\"w\":" + entry + "}");
        assertFails(() -> SafetensorsFile.open(file), file, null, "Duplicate property \"w\"");
    }

    @Test
    void anEntryWithoutShape() {
        Path file = new RawSafetensors().f32(1f).write(dir.resolve("noshape.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}");
        assertFails(() -> SafetensorsFile.open(file), file, "w", "shape must be an array");
    }

    @Test
    void anUnknownDtypeFailsOnlyWhenThatTensorIsRead() {
        Path file = new RawSafetensors().f32(2f).bytes(8).write(dir.resolve("ids.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"position_ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[4,12]}}");
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertThat(read.tensor("w").data()).containsExactly(2f);
            assertFails(() -> read.tensor("position_ids"), file, "position_ids", "unsupported dtype I64");
        }
    }

    @Test
    void offsetsThatDoNotMatchTheShape() {
        Path file = new RawSafetensors().f32(1f, 2f, 3f).write(dir.resolve("mismatch.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}");
        assertFails(() -> SafetensorsFile.open(file), file, "w", "span 12 bytes, but shape [2, 2] of F32 needs 16");
    }

    @Test
    void offsetsThatEndBeforeTheyBegin() {
        Path file = new RawSafetensors().f32(1f).write(dir.resolve("backwards.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}");
        assertFails(() -> SafetensorsFile.open(file), file, "w", "end before they begin");
    }

    @Test
    void offsetsOutsideTheData() {
        Path file = new RawSafetensors().f32(1f).write(dir.resolve("outside.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}");
        assertFails(() -> SafetensorsFile.open(file), file, "w", "reach beyond the 4 bytes of data");
    }

    @Test
    void truncatedData() {
        Path file = dir.resolve("cut.safetensors");
        SafetensorsWriter.write(file, Map.of("a", Tensor.of(new float[4], 4), "b", Tensor.of(new float[4], 2, 2)), DType.F32);
        truncate(file, file.toFile().length() - 3);
        assertFails(() -> SafetensorsFile.open(file), file, "b", "truncated file");
    }

    @Test
    void aMissingTensor() {
        Path file = dir.resolve("one.safetensors");
        SafetensorsWriter.write(file, Map.of("a", Tensor.of(new float[1], 1)), DType.F32);
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertFails(() -> read.tensor("model.embed_tokens.weight"), file, "model.embed_tokens.weight", "no such tensor");
        }
    }

    @Test
    void aShapeOtherThanTheCallerExpects() {
        Path file = dir.resolve("shape.safetensors");
        SafetensorsWriter.write(file, Map.of("gate", Tensor.of(new float[6], 2, 3)), DType.F32);
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertFails(() -> read.tensor("gate", 3, 2), file, "gate", "shape [2, 3] does not match the expected [3, 2]");
        }
    }

    @Test
    void aFileThatDoesNotExist() {
        Path file = dir.resolve("absent.safetensors");
        assertFails(() -> SafetensorsFile.open(file), file, null, "cannot open");
    }

    static void assertFails(ThrowingCallable call, Path file, String tensor, String problem) {
        assertThatThrownBy(call)
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining(tensor == null ? "" : "tensor '" + tensor + "'")
                .hasMessageContaining(problem)
                .satisfies(e -> {
                    CheckpointException failure = (CheckpointException) e;
                    assertThat(failure.file()).isEqualTo(file);
                    assertThat(failure.tensor()).isEqualTo(Optional.ofNullable(tensor));
                });
    }

    private static void truncate(Path file, long size) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
