package io.moestream.kernels;

import io.moestream.expert.JavaExpertKernel;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SwiGluGateTest {

    @Test
    void matchesSiluTimesUpToARelative1e5UpTo64() {
        int n = 200_001;
        float[] gate = new float[n];
        float[] up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = -64f + 128f * i / (n - 1);
            up[i] = 1.5f;
        }
        float[] z = gate.clone();
        SwiGluGate.gateRow(gate, up, new float[n], n);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double want = JavaExpertKernel.silu(z[i]) * 1.5;
            worst = Math.max(worst, Math.abs(gate[i] - want) / Math.max(Math.abs(want), Double.MIN_NORMAL));
        }
        assertThat(worst).isLessThan(1e-5);
    }

    @Test
    void handlesTheEdges() {
        float[] gate = {0f, -0f, 1e-30f, -1e-30f, 1000f, -1000f, Float.POSITIVE_INFINITY, Float.NaN};
        float[] up = {1f, 1f, 1f, 1f, 2f, 1f, 1f, 1f};
        SwiGluGate.gateRow(gate, up, new float[gate.length], gate.length);
        assertThat(gate[0]).isZero();
        assertThat(gate[1]).isZero();
        assertThat(gate[2]).isCloseTo(5e-31f, within(1e-36f));
        assertThat(gate[3]).isCloseTo(-5e-31f, within(1e-36f));
        assertThat(gate[4]).isEqualTo(2000f);
        assertThat(gate[5]).isCloseTo(0f, within(1e-20f));
        assertThat(gate[6]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(gate[7]).isNaN();
    }

    @Test
    void gatesTheFirstHalfOfEachRowInPlaceAndKeepsTheSecond() {
        int rows = 3;
        int ffn = 5;
        float[] h = new float[rows * 2 * ffn];
        for (int i = 0; i < h.length; i++) {
            h[i] = (i % 7) - 3f;
        }
        try (FloatPointer pointer = new FloatPointer(h)) {
            FloatBuffer buffer = pointer.asBuffer();
            new SwiGluGate().apply(buffer, rows, ffn);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < ffn; j++) {
                    int gate = r * 2 * ffn + j;
                    assertThat(buffer.get(gate)).isCloseTo((float) (JavaExpertKernel.silu(h[gate]) * h[gate + ffn]), within(1e-5f));
                    assertThat(buffer.get(gate + ffn)).isEqualTo(h[gate + ffn]);
                }
            }
        }
    }

    /** Over a million gate elements the rows are split across threads; each must come out as computed alone. */
    @Test
    void splitsLargeBatchesWithoutChangingAValue() {
        int rows = 301;
        int ffn = 3600;
        float[] h = new float[rows * 2 * ffn];
        SplittableRandom random = new SplittableRandom(8);
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) random.nextDouble(-8, 8);
        }
        try (FloatPointer pointer = new FloatPointer(h)) {
            FloatBuffer buffer = pointer.asBuffer();
            new SwiGluGate().apply(buffer, rows, ffn);
            float[] scratch = new float[ffn];
            for (int r = 0; r < rows; r++) {
                float[] gate = Arrays.copyOfRange(h, r * 2 * ffn, r * 2 * ffn + ffn);
                float[] up = Arrays.copyOfRange(h, r * 2 * ffn + ffn, (r + 1) * 2 * ffn);
                SwiGluGate.gateRow(gate, up, scratch, ffn);
                float[] got = new float[2 * ffn];
                buffer.get(r * 2 * ffn, got);
                assertThat(Arrays.copyOf(got, ffn)).as("row %d gated", r).containsExactly(gate);
                assertThat(Arrays.copyOfRange(got, ffn, 2 * ffn)).as("row %d up half", r).containsExactly(up);
            }
        }
    }
}
