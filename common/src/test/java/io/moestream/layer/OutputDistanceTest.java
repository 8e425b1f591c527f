package io.moestream.layer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class OutputDistanceTest {

    @Test
    void relativeL2IsTheErrorNormOverTheReferenceNorm() {
        float[] reference = {3, 4};
        assertThat(OutputDistance.relativeL2(reference, reference)).isZero();
        assertThat(OutputDistance.relativeL2(new float[] {3, 4 + 5}, reference)).isCloseTo(1.0, within(1e-12));
        assertThat(OutputDistance.relativeL2(new float[] {0, 0}, reference)).isCloseTo(1.0, within(1e-12));
        assertThat(OutputDistance.relativeL2(new float[] {9, 9, 3}, new float[] {9, 9, 0}, 2)).isZero();
        assertThat(OutputDistance.relativeL2(new float[] {3, 4}, new float[] {0, 0})).isCloseTo(5.0, within(1e-12));
    }

    @Test
    void cosineMeasuresTheAngle() {
        assertThat(OutputDistance.cosine(new float[] {1, 0}, new float[] {0, 2})).isZero();
        assertThat(OutputDistance.cosine(new float[] {1, 1}, new float[] {2, 2})).isCloseTo(1.0, within(1e-12));
        assertThat(OutputDistance.cosine(new float[] {1, 0}, new float[] {-3, 0})).isCloseTo(-1.0, within(1e-12));
        assertThat(OutputDistance.cosine(new float[] {0, 0}, new float[] {0, 0})).isEqualTo(1.0);
        assertThat(OutputDistance.cosine(new float[] {0, 0}, new float[] {1, 0})).isZero();
    }
}
