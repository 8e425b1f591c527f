package io.moestream.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Little-endian, growable output for the record codecs. */
final class WireWriter {

    private ByteBuffer buffer;

    WireWriter(int expectedBytes) {
        buffer = ByteBuffer.allocate(Math.max(64, expectedBytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void ensure(int bytes) {
        if (buffer.remaining() < bytes) {
            ByteBuffer larger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes))
                    .order(ByteOrder.LITTLE_ENDIAN);
            larger.put(buffer.flip());
            buffer = larger;
        }
    }

    void putByte(int value) {
        ensure(1);
        buffer.put((byte) value);
    }

    void putShort(short value) {
        ensure(2);
        buffer.putShort(value);
    }

    void putInt(int value) {
        ensure(4);
        buffer.putInt(value);
    }

    void putLong(long value) {
        ensure(8);
        buffer.putLong(value);
    }

    void putFloat(float value) {
        ensure(4);
        buffer.putFloat(value);
    }

    void putDouble(double value) {
        ensure(8);
        buffer.putDouble(value);
    }

    void putString(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        putInt(utf8.length);
        ensure(utf8.length);
        buffer.put(utf8);
    }

    void putInts(int[] values) {
        putInt(values.length);
        for (int v : values) {
            putInt(v);
        }
    }

    void putDoubles(double[] values) {
        putInt(values.length);
        for (double v : values) {
            putDouble(v);
        }
    }

    /** Hidden states: their wire type, then the values in it. */
    void putStates(WireType type, float[] values) {
        putByte(type.ordinal());
        putInt(values.length);
        ensure(values.length * type.bytes());
        type.write(this, values);
    }

    byte[] toBytes() {
        return Arrays.copyOf(buffer.array(), buffer.position());
    }
}
