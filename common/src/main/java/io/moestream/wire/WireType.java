package io.moestream.wire;

import io.moestream.model.HalfFloats;

/**
 * How hidden states travel inside records. F32 is exact; F16 and BF16 halve the bytes on the wire
 * at the cost of precision (BF16 keeps F32's range with 8 bits of mantissa, F16 the reverse).
 */
public enum WireType {
    F32(4),
    F16(2),
    BF16(2);

    private final int bytes;

    WireType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** {@code values} as they arrive after a trip over the wire in this type: a new array, or the same for F32. */
    public float[] round(float[] values) {
        if (this == F32) {
            return values;
        }
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = this == F16 ? HalfFloats.f16ToFloat(HalfFloats.floatToF16(values[i]))
                    : HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
        }
        return rounded;
    }

    void write(WireWriter out, float[] values) {
        for (float v : values) {
            switch (this) {
                case F32 -> out.putFloat(v);
                case F16 -> out.putShort(HalfFloats.floatToF16(v));
                case BF16 -> out.putShort(HalfFloats.floatToBf16(v));
            }
        }
    }

    float[] read(WireReader in, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = switch (this) {
                case F32 -> in.getFloat();
                case F16 -> HalfFloats.f16ToFloat(in.getShort());
                case BF16 -> HalfFloats.bf16ToFloat(in.getShort());
            };
        }
        return values;
    }
}
