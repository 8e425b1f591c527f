package io.moestream.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class HalfFloatsTest {

    @ParameterizedTest(name = "{0} -> F16 {1}")
    @CsvSource({
            "1.0, 0x3C00",
            "-2.0, 0xC000",
            "0.0, 0x0000",
            "-0.0, 0x8000",
            "65504.0, 0x7BFF",         // largest finite F16
            "65519.99, 0x7BFF",        // just below the tie rounds down
            "65520.0, 0x7C00",         // tie between 65504 and 65536 goes to the even one: infinity
            "1e9, 0x7C00",
            "-Infinity, 0xFC00",
            "0x1p-14, 0x0400",         // smallest normal
            "0x1p-24, 0x0001",         // smallest subnormal
            "0x1p-25, 0x0000",         // tie between 0 and 2^-24 goes to even 0
            "0x1.8p-25, 0x0001",
            "0x1p-26, 0x0000",
            "0x1.002p0, 0x3C00",       // 1 + 2^-11: tie, stays on even 1.0
            "0x1.006p0, 0x3C02",       // 1 + 3 * 2^-11: tie, goes up to even 1 + 2^-9
            "0x1.ffcp-15, 0x0400",     // tie between the largest subnormal and the smallest normal: even wins
    })
    void narrowsToF16RoundingToNearestEven(float value, String bits) {
        assertThat(HalfFloats.floatToF16(value) & 0xFFFF).isEqualTo(Integer.decode(bits));
    }

    @ParameterizedTest(name = "{0} -> BF16 {1}")
    @CsvSource({
            "1.0, 0x3F80",
            "-2.0, 0xC000",
            "0x1.01p0, 0x3F80",        // 1 + 2^-8: tie, stays on even 1.0
            "0x1.03p0, 0x3F82",        // 1 + 3 * 2^-8: tie, goes up to even
            "0x1.0101p0, 0x3F81",      // just above the tie rounds up
            "3.4028235e38, 0x7F80",    // Float.MAX_VALUE overflows to infinity
            "-Infinity, 0xFF80",
    })
    void narrowsToBf16RoundingToNearestEven(float value, String bits) {
        assertThat(HalfFloats.floatToBf16(value) & 0xFFFF).isEqualTo(Integer.decode(bits));
    }

    @Test
    void everyF16ValueSurvivesTheRoundTrip() {
        List<String> broken = new ArrayList<>();
        for (int bits = 0; bits <= 0xFFFF; bits++) {
            float value = HalfFloats.f16ToFloat((short) bits);
            boolean nan = (bits & 0x7C00) == 0x7C00 && (bits & 0x3FF) != 0;
            boolean survives = nan
                    ? Float.isNaN(value) && Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(value)))
                    : (HalfFloats.floatToF16(value) & 0xFFFF) == bits;
            if (!survives) {
                broken.add(String.format("0x%04X", bits));
            }
        }
        assertThat(broken).isEmpty();
    }

    @Test
    void everyBf16ValueSurvivesTheRoundTrip() {
        List<String> broken = new ArrayList<>();
        for (int bits = 0; bits <= 0xFFFF; bits++) {
            float value = HalfFloats.bf16ToFloat((short) bits);
            boolean survives = Float.floatToRawIntBits(value) == bits << 16 && (Float.isNaN(value)
                    ? Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(value)))
                    : (HalfFloats.floatToBf16(value) & 0xFFFF) == bits);
            if (!survives) {
                broken.add(String.format("0x%04X", bits));
            }
        }
        assertThat(broken).isEmpty();
    }

    @Test
    void f16DecodesByTheDefinition() {
        assertThat(HalfFloats.f16ToFloat((short) 0x3555)).isEqualTo(0x1.554p-2f);
        assertThat(HalfFloats.f16ToFloat((short) 0x03FF)).isEqualTo(1023 * 0x1p-24f);
        assertThat(HalfFloats.f16ToFloat((short) 0x8001)).isEqualTo(-0x1p-24f);
        assertThat(HalfFloats.f16ToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    /** Against the definition: no F16 value lies nearer than the chosen one, and ties pick an even pattern. */
    @Test
    void f16IsTheNearestValue() {
        SplittableRandom random = new SplittableRandom(7);
        List<Float> wrong = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            // Magnitudes from below the smallest subnormal to 2^15, all finite in F16.
            float value = (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(-26, 16)));
            if (!isNearest(value, HalfFloats.floatToF16(value) & 0x7FFF)) {
                wrong.add(value);
            }
        }
        assertThat(wrong).isEmpty();
    }

    private static boolean isNearest(float value, int chosen) {
        double error = distance(value, chosen);
        for (int neighbour : new int[] {chosen - 1, chosen + 1}) {
            if (neighbour >= 0 && neighbour <= 0x7BFF) {
                double other = distance(value, neighbour);
                if (error > other || (error == other && (chosen & 1) != 0)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static double distance(float value, int magnitudeBits) {
        return Math.abs(Math.abs((double) value) - HalfFloats.f16ToFloat((short) magnitudeBits));
    }
}
