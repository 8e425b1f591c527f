package io.moestream.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import org.junit.jupiter.api.Test;

class SkewModelTest {

    private static final int HIDDEN = 256;
    private static final int EXPERTS = 8;
    private static final int TOKENS = 4000;

    private final SkewModel model = new SkewModel(HIDDEN, EXPERTS, 1.0, 7);

    @Test
    void everyRowHasUnitRmsAndSharesTheCommonDirection() {
        float[] a = row(11);
        float[] b = row(12);

        assertThat(dot(a, a)).isCloseTo(HIDDEN, offset(1e-3 * HIDDEN));
        assertThat(dot(a, b) / HIDDEN).isCloseTo(SkewModel.ANISOTROPY, offset(0.2));
    }

    /** The logits are the popularity bias plus noise of Gumbel's spread, centred on the bias. */
    @Test
    void logitsAreBiasPlusNoise() {
        float[] gate = model.gate();
        for (int e = 0; e < EXPERTS; e++) {
            double sum = 0;
            double squares = 0;
            for (int t = 0; t < TOKENS; t++) {
                double noise = dot(row(t), gate, e * HIDDEN) - model.bias(0, e);
                sum += noise;
                squares += noise * noise;
            }
            double mean = sum / TOKENS;
            assertThat(mean).as("expert %d", e).isCloseTo(0, offset(0.1));
            assertThat(Math.sqrt(squares / TOKENS - mean * mean)).as("expert %d", e)
                    .isCloseTo(SkewModel.NOISE_STD, offset(0.1));
        }
    }

    @Test
    void theBiasFollowsThePopularityRank() {
        for (int layer = 0; layer < 3; layer++) {
            for (int e = 0; e < EXPERTS; e++) {
                assertThat(model.bias(layer, e)).isEqualTo(-Math.log(1 + model.popularityRank(layer, e)));
            }
        }
        assertThat(new SkewModel(HIDDEN, EXPERTS, 0, 7).bias(1, 3)).isZero();
    }

    /** A later layer's logits are its own bias plus noise of the same spread: as skewed as layer 0, around other experts. */
    @Test
    void laterLayersAreBiasPlusNoiseAroundTheirOwnPopularity() {
        float[] gate = model.gate(2);
        double squares = 0;
        for (int t = 0; t < TOKENS; t++) {
            double noise = dot(row(t), gate, 5 * HIDDEN) - model.bias(2, 5);
            squares += noise * noise;
        }

        assertThat(Math.sqrt(squares / TOKENS)).isCloseTo(SkewModel.NOISE_STD, offset(0.1));
        assertThat(model.gate(0)).containsExactly(model.gate());
        assertThat(gate).isNotEqualTo(model.gate());
    }

    @Test
    void rowsAreDrawnIndependentlyOfOrder() {
        float[] later = row(99);
        row(3);

        assertThat(row(99)).containsExactly(later);
        assertThat(new SkewModel(HIDDEN, EXPERTS, 1.0, 8).gate()).isNotEqualTo(model.gate());
    }

    private float[] row(int token) {
        float[] row = new float[HIDDEN];
        model.embeddingRow(token, row, 0);
        return row;
    }

    private static double dot(float[] a, float[] b) {
        return dot(a, b, 0);
    }

    private static double dot(float[] x, float[] matrix, int offset) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (double) x[i] * matrix[offset + i];
        }
        return s;
    }
}
