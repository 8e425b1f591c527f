package io.moestream.expert;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class JavaExpertKernelTest {

    /*
     * hidden d = 2, ffn F = 3, input row x = (1, 2):
     *   W1 rows (1, 0), (0, 1), (1, -1)  ->  W1 x = (1, 2, -1)
     *   W3 rows (1, 1), (0, 0), (2, 0)   ->  W3 x = (3, 0, 2)
     *   silu(1) = 1 / (1 + e^-1) = 0.7310585786,  silu(2) = 2 / (1 + e^-2) = 1.7615941560,
     *   silu(-1) = -1 / (1 + e) = -0.2689414214
     *   gated g = silu(W1 x) * W3 x = (2.1931757358, 0, -0.5378828427)
     *   W2 rows (1, 5, 1), (0, 0, -2)    ->  y = (2.1931757358 - 0.5378828427, 1.0757656854)
     *                                          = (1.6552928931, 1.0757656854)
     * A second row x = (0, 0) gives W1 x = 0, silu(0) = 0, so y = (0, 0).
     */
    static final ExpertWeights TINY = new ExpertWeights(2, 3,
            new float[] {1, 0, 0, 1, 1, -1},
            new float[] {1, 1, 0, 0, 2, 0},
            new float[] {1, 5, 1, 0, 0, -2});

    @Test
    void computesTheHandWorkedExample() {
        try (JavaExpertKernel kernel = new JavaExpertKernel(Map.of(4, TINY))) {
            float[] y = {9, 9, 9, 9};
            kernel.forward(4, new float[] {1, 2, 0, 0}, 2, y);
            assertThat(y[0]).isCloseTo(1.6552928931f, within(1e-6f));
            assertThat(y[1]).isCloseTo(1.0757656854f, within(1e-6f));
            assertThat(y[2]).isZero();
            assertThat(y[3]).isZero();
        }
    }

    @Test
    void siluMatchesItsDefinitionAndLimits() {
        assertThat(JavaExpertKernel.silu(0)).isZero();
        assertThat(JavaExpertKernel.silu(1)).isCloseTo(0.7310585786, within(1e-10));
        assertThat(JavaExpertKernel.silu(-1)).isCloseTo(-0.2689414214, within(1e-10));
        assertThat(JavaExpertKernel.silu(50)).isCloseTo(50, within(1e-12));
        assertThat(JavaExpertKernel.silu(-800)).isCloseTo(0, within(1e-300));
    }

    @Test
    void leavesRowsBeyondTheBatchAlone() {
        try (JavaExpertKernel kernel = new JavaExpertKernel(Map.of(0, TINY))) {
            float[] y = {9, 9, 9, 9};
            kernel.forward(0, new float[] {1, 2, 7, 7}, 1, y);
            assertThat(y).containsExactly(1.6552929f, 1.0757657f, 9, 9);
            kernel.forward(0, new float[0], 0, new float[0]);
        }
    }

    @Test
    void rejectsBadArguments() {
        try (JavaExpertKernel kernel = new JavaExpertKernel(Map.of(0, TINY, 3, TINY))) {
            assertThatThrownBy(() -> kernel.forward(1, new float[2], 1, new float[2]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expert 1").hasMessageContaining("[0, 3]");
            assertThatThrownBy(() -> kernel.forward(0, new float[3], 2, new float[4]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x has 3 values");
            assertThatThrownBy(() -> kernel.forward(0, new float[4], 2, new float[1]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("y has 1 values");
            assertThatThrownBy(() -> kernel.forward(0, new float[4], -1, new float[4]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        }
    }

    @Test
    void refusesWorkAfterClose() {
        JavaExpertKernel kernel = new JavaExpertKernel(Map.of(0, TINY));
        kernel.close();
        assertThatThrownBy(() -> kernel.forward(0, new float[2], 1, new float[2])).isInstanceOf(IllegalStateException.class);
    }
}
