package io.moestream.model;

/**
 * IEEE 754 half precision (F16) and bfloat16 (BF16) conversions. Java 17 has no
 * {@code Float.float16ToFloat} (it arrived in Java 20), so they are done on the bits here.
 * Narrowing rounds to nearest, ties to even, as PyTorch does when it saves a model in these types.
 */
public final class HalfFloats {

    private HalfFloats() {
    }

    public static float f16ToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24 is exact in a float, which keeps every subnormal.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
    }

    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xFF;
        int mantissa = bits & 0x7FFFFF;
        if (exponent == 0xFF) {
            // A NaN keeps its top payload bits and is forced quiet, so it never turns into infinity.
            int nan = mantissa == 0 ? 0 : 0x200 | (mantissa >>> 13);
            return (short) (sign | 0x7C00 | nan);
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (halfExponent <= 0) {
            return (short) (sign | subnormal(mantissa | 0x800000, 14 - halfExponent));
        }
        // A carry out of the mantissa correctly bumps the exponent, up to infinity.
        return (short) (sign | roundShift((halfExponent << 23) | mantissa, 13));
    }

    /** The F16 subnormal {@code significand * 2^-shift} (in units of 2^-24), or 0 when it rounds away. */
    private static int subnormal(int significand, int shift) {
        return shift > 24 ? 0 : roundShift(significand, shift);
    }

    /** {@code value >>> shift}, rounded to nearest, ties to even. */
    private static int roundShift(int value, int shift) {
        int kept = value >>> shift;
        int rest = value & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        return rest > half || (rest == half && (kept & 1) != 0) ? kept + 1 : kept;
    }

    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }

    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            // Rounding could carry a NaN's payload into infinity; keep it a quiet NaN instead.
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
