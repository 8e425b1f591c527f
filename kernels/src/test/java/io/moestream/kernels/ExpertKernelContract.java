package io.moestream.kernels;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;
import io.moestream.layer.OutputDistance;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What every native kernel must do, checked against the Java reference; one subclass per kernel. */
abstract class ExpertKernelContract {

    static final double TOLERANCE = 1e-4;

    abstract ExpertKernel create(Map<Integer, ExpertWeights> weights);

    @ParameterizedTest(name = "hidden {0}, ffn {1}, rows {2}")
    @CsvSource({"1, 1, 1", "7, 5, 1", "7, 5, 3", "33, 65, 17", "64, 176, 300", "96, 40, 513", "130, 257, 64"})
    void agreesWithTheReference(int hidden, int ffn, int rows) {
        Map<Integer, ExpertWeights> weights = Map.of(0, RandomExperts.expert(hidden, ffn, 1));
        assertAgrees(weights, 0, rows, 2);
    }

    @Test
    void keepsSeveralExpertsApart() {
        Map<Integer, ExpertWeights> weights = Map.of(
                2, RandomExperts.expert(33, 65, 2), 5, RandomExperts.expert(33, 65, 5), 11, RandomExperts.expert(33, 65, 11));
        for (int expert : weights.keySet()) {
            assertAgrees(weights, expert, 9, expert);
        }
    }

    /** Growing and shrinking batches across experts of different shapes reuse the scratch buffers. */
    @Test
    void reusesScratchAcrossBatchesAndShapes() {
        Map<Integer, ExpertWeights> weights = Map.of(0, RandomExperts.expert(48, 80, 3), 1, RandomExperts.expert(20, 150, 4));
        try (ExpertKernel kernel = create(weights); JavaExpertKernel reference = new JavaExpertKernel(weights)) {
            int[][] calls = {{0, 5}, {0, 300}, {1, 1}, {1, 400}, {0, 40}, {1, 0}, {0, 2}};
            for (int[] call : calls) {
                int expert = call[0];
                int rows = call[1];
                int hidden = weights.get(expert).hidden();
                float[] x = RandomExperts.input(rows + 1, hidden, rows);
                float[] y = filled((rows + 1) * hidden, 42f);
                float[] want = new float[rows * hidden];
                kernel.forward(expert, x, rows, y);
                reference.forward(expert, x, rows, want);
                if (rows > 0) {
                    assertThat(OutputDistance.relativeL2(y, want, rows * hidden)).as("expert %d, rows %d", expert, rows)
                            .isLessThan(TOLERANCE);
                }
                assertThat(Arrays.copyOfRange(y, rows * hidden, y.length)).as("the row past the batch").containsOnly(42f);
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        try (ExpertKernel kernel = create(Map.of(0, RandomExperts.expert(4, 3, 1)))) {
            assertThatThrownBy(() -> kernel.forward(1, new float[4], 1, new float[4]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expert 1");
            assertThatThrownBy(() -> kernel.forward(0, new float[7], 2, new float[8]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x has 7");
            assertThatThrownBy(() -> kernel.forward(0, new float[8], 2, new float[7]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("y has 7");
            assertThatThrownBy(() -> kernel.forward(0, new float[8], -2, new float[8]))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void describesItselfAndRefusesWorkOnceClosed() {
        ExpertKernel kernel = create(Map.of(0, RandomExperts.expert(4, 3, 1)));
        assertThat(kernel.description()).isNotBlank();
        kernel.close();
        kernel.close();
        assertThatThrownBy(() -> kernel.forward(0, new float[4], 1, new float[4])).isInstanceOf(IllegalStateException.class);
    }

    private void assertAgrees(Map<Integer, ExpertWeights> weights, int expert, int rows, long seed) {
        int hidden = weights.get(expert).hidden();
        float[] x = RandomExperts.input(rows, hidden, seed);
        float[] y = new float[rows * hidden];
        float[] want = new float[rows * hidden];
        try (ExpertKernel kernel = create(weights); JavaExpertKernel reference = new JavaExpertKernel(weights)) {
            kernel.forward(expert, x, rows, y);
            reference.forward(expert, x, rows, want);
        }
        assertThat(OutputDistance.relativeL2(y, want, y.length)).isLessThan(TOLERANCE);
    }

    private static float[] filled(int n, float value) {
        float[] values = new float[n];
        Arrays.fill(values, value);
        return values;
    }
}
