package io.moestream.decoder;

/**
 * {@code y = w * x / sqrt(mean(x^2) + eps)} over each row, as transformers' RMSNorm computes it:
 * the mean in higher precision, the weight applied last.
 */
final class RmsNorm {

    private RmsNorm() {
    }

    /** Normalises {@code rows} rows of {@code width = weight.length} values from {@code x} into {@code y}. */
    static void apply(float[] x, int rows, float[] weight, double eps, float[] y) {
        int width = weight.length;
        for (int r = 0; r < rows; r++) {
            applyRow(x, r * width, weight, eps, y, r * width);
        }
    }

    /** Normalises one slice of {@code weight.length} values; {@code y} may be {@code x}. */
    static void applyRow(float[] x, int from, float[] weight, double eps, float[] y, int to) {
        int width = weight.length;
        double squares = 0;
        for (int i = 0; i < width; i++) {
            double v = x[from + i];
            squares += v * v;
        }
        double scale = 1.0 / Math.sqrt(squares / width + eps);
        for (int i = 0; i < width; i++) {
            y[to + i] = (float) (weight[i] * (x[from + i] * scale));
        }
    }
}
