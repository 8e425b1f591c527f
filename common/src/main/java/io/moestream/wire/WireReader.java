package io.moestream.wire;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Little-endian input for the record codecs; every length is checked against what is left. */
final class WireReader {

    private final ByteBuffer buffer;
    private final String record;

    WireReader(byte[] bytes, String record) {
        this.buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        this.record = record;
    }

    WireFormatException error(String what) {
        return new WireFormatException(record + " at byte " + buffer.position() + ": " + what);
    }

    private void need(long bytes, String what) {
        if (bytes < 0 || bytes > buffer.remaining()) {
            throw error(what + " needs " + bytes + " bytes but " + buffer.remaining() + " are left (truncated record?)");
        }
    }

    int getByte() {
        need(1, "a byte");
        return buffer.get() & 0xFF;
    }

    short getShort() {
        need(2, "a short");
        return buffer.getShort();
    }

    int getInt() {
        need(4, "an int");
        return buffer.getInt();
    }

    long getLong() {
        need(8, "a long");
        return buffer.getLong();
    }

    float getFloat() {
        need(4, "a float");
        return buffer.getFloat();
    }

    double getDouble() {
        need(8, "a double");
        return buffer.getDouble();
    }

    String getString() {
        int length = getInt();
        need(length, "a string");
        byte[] utf8 = new byte[length];
        buffer.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    int[] getInts() {
        int length = getInt();
        need(4L * length, "an int array of " + length);
        int[] values = new int[length];
        for (int i = 0; i < length; i++) {
            values[i] = buffer.getInt();
        }
        return values;
    }

    double[] getDoubles() {
        int length = getInt();
        need(8L * length, "a double array of " + length);
        double[] values = new double[length];
        for (int i = 0; i < length; i++) {
            values[i] = buffer.getDouble();
        }
        return values;
    }

    float[] getStates() {
        int type = getByte();
        if (type >= WireType.values().length) {
            throw error("unknown wire type " + type);
        }
        WireType wireType = WireType.values()[type];
        int length = getInt();
        need((long) length * wireType.bytes(), length + " hidden-state values in " + wireType);
        try {
            return wireType.read(this, length);
        } catch (BufferUnderflowException e) {
            throw error("hidden states are truncated");
        }
    }

    void expectEnd() {
        if (buffer.hasRemaining()) {
            throw error(buffer.remaining() + " unexpected trailing bytes");
        }
    }
}
