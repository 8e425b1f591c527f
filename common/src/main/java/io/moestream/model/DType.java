package io.moestream.model;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Optional;

/**
 * The safetensors element types this project reads and writes. Every tensor is widened to F32 when
 * read; the 16-bit types are narrowed, rounding to nearest even, when written.
 */
public enum DType {
    F32(4) {
        @Override
        void decode(ByteBuffer source, float[] target, int offset, int count) {
            source.asFloatBuffer().get(target, offset, count);
        }

        @Override
        void encode(float[] source, int offset, int count, ByteBuffer target) {
            FloatBuffer floats = target.asFloatBuffer();
            floats.put(source, offset, count);
            target.position(target.position() + count * 4);
        }
    },
    F16(2) {
        @Override
        float widen(short bits) {
            return HalfFloats.f16ToFloat(bits);
        }

        @Override
        short narrow(float value) {
            return HalfFloats.floatToF16(value);
        }
    },
    BF16(2) {
        @Override
        float widen(short bits) {
            return HalfFloats.bf16ToFloat(bits);
        }

        @Override
        short narrow(float value) {
            return HalfFloats.floatToBf16(value);
        }
    };

    /** Short values converted per bulk read, so a huge tensor needs no second full-size buffer. */
    private static final int BLOCK = 8192;

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element in a file. */
    public int bytes() {
        return bytes;
    }

    /** The type named {@code name} in a safetensors header ("F32", "F16", "BF16"), if supported. */
    static Optional<DType> parse(String name) {
        for (DType type : values()) {
            if (type.name().equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /** Reads {@code count} little-endian elements from {@code source} into {@code target[offset..]}. */
    void decode(ByteBuffer source, float[] target, int offset, int count) {
        ShortBuffer shorts = source.asShortBuffer();
        short[] block = new short[Math.min(BLOCK, count)];
        for (int done = 0; done < count; done += block.length) {
            int n = Math.min(block.length, count - done);
            shorts.get(block, 0, n);
            for (int i = 0; i < n; i++) {
                target[offset + done + i] = widen(block[i]);
            }
        }
    }

    /** Writes {@code count} elements from {@code source[offset..]} into {@code target}, advancing it. */
    void encode(float[] source, int offset, int count, ByteBuffer target) {
        for (int i = 0; i < count; i++) {
            target.putShort(narrow(source[offset + i]));
        }
    }

    /** One 16-bit value to F32; the 16-bit types implement it, F32 overrides the bulk methods instead. */
    float widen(short bits) {
        throw new UnsupportedOperationException(name() + " is not a 16-bit type");
    }

    /** One F32 value to 16 bits, rounding to nearest even; only the 16-bit types implement it. */
    short narrow(float value) {
        throw new UnsupportedOperationException(name() + " is not a 16-bit type");
    }
}
