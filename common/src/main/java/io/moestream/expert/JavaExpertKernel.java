package io.moestream.expert;

import java.util.Map;

/**
 * The reference kernel: the SwiGLU expert FFN as plain loops with double accumulation, written to be
 * obviously right rather than fast. Tests check the native kernels against it, and it is the last
 * fallback when no native library loads.
 */
public final class JavaExpertKernel implements ExpertKernel {

    private final HostedExperts<ExpertWeights> experts;

    public JavaExpertKernel(Map<Integer, ExpertWeights> weights) {
        this.experts = HostedExperts.asGiven(weights);
    }

    /** {@code silu(z) = z * sigmoid(z) = z / (1 + exp(-z))}, the gate activation of SwiGLU. */
    public static double silu(double z) {
        return z / (1 + Math.exp(-z));
    }

    @Override
    public void forward(int expert, float[] x, int rows, float[] y) {
        ExpertWeights w = experts.checkedGet(expert, x, rows, y);
        int hidden = w.hidden();
        int ffn = w.ffn();
        double[] gated = new double[ffn];
        for (int r = 0; r < rows; r++) {
            int row = r * hidden;
            for (int j = 0; j < ffn; j++) {
                gated[j] = silu(dot(w.w1(), j * hidden, x, row, hidden)) * dot(w.w3(), j * hidden, x, row, hidden);
            }
            for (int i = 0; i < hidden; i++) {
                double sum = 0;
                for (int j = 0; j < ffn; j++) {
                    sum += w.w2()[i * ffn + j] * gated[j];
                }
                y[row + i] = (float) sum;
            }
        }
    }

    private static double dot(float[] a, int aFrom, float[] b, int bFrom, int length) {
        double sum = 0;
        for (int i = 0; i < length; i++) {
            sum += (double) a[aFrom + i] * b[bFrom + i];
        }
        return sum;
    }

    @Override
    public String description() {
        return "java";
    }

    @Override
    public void close() {
        experts.close();
    }
}
