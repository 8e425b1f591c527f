package io.moestream.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes safetensors files byte by byte, so that tests check the reader against the format itself. */
final class RawSafetensors {

    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    /** Appends little-endian F32 values to the data section. */
    RawSafetensors f32(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            buffer.putFloat(value);
        }
        data.writeBytes(buffer.array());
        return this;
    }

    /** Appends raw 16-bit values (F16 or BF16 bit patterns), little-endian. */
    RawSafetensors bits16(int... values) {
        for (int value : values) {
            data.write(value & 0xFF);
            data.write((value >>> 8) & 0xFF);
        }
        return this;
    }

    RawSafetensors bytes(int count) {
        data.writeBytes(new byte[count]);
        return this;
    }

    /** Writes {@code file}: the header's length as declared by {@code headerJson}'s size, the header, the data. */
    Path write(Path file, String headerJson) {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        return write(file, header.length, header);
    }

    /** Writes {@code file} with any declared header length, true or not. */
    Path write(Path file, long declaredHeaderLength, byte[] header) {
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declaredHeaderLength);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(length.array());
        out.writeBytes(header);
        out.writeBytes(data.toByteArray());
        try {
            return Files.write(file, out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
