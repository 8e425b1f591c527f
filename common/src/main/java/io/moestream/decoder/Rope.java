package io.moestream.decoder;

/**
 * Rotary position embeddings in the rotate-half form of the Llama family: dimension {@code i} of
 * the first half pairs with {@code i + headDim/2}, rotated by {@code position * theta^(-2i/headDim)}.
 */
final class Rope {

    private final int headDim;
    private final double[] inverseFrequency;

    Rope(int headDim, double theta) {
        this.headDim = headDim;
        int half = headDim / 2;
        inverseFrequency = new double[half];
        for (int i = 0; i < half; i++) {
            inverseFrequency[i] = Math.pow(theta, -2.0 * i / headDim);
        }
    }

    /** The cosines and sines of {@code position}: {@code [cos_0..cos_{h-1}, sin_0..sin_{h-1}]}, {@code h = headDim/2}. */
    double[] angles(int position) {
        int half = inverseFrequency.length;
        double[] cosSin = new double[2 * half];
        for (int i = 0; i < half; i++) {
            double angle = position * inverseFrequency[i];
            cosSin[i] = Math.cos(angle);
            cosSin[half + i] = Math.sin(angle);
        }
        return cosSin;
    }

    /** Rotates {@code heads} consecutive heads of {@code x} starting at {@code from}, in place. */
    void rotate(float[] x, int from, int heads, double[] cosSin) {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = from + h * headDim;
            for (int i = 0; i < half; i++) {
                double x1 = x[base + i];
                double x2 = x[base + half + i];
                double cos = cosSin[i];
                double sin = cosSin[half + i];
                x[base + i] = (float) (x1 * cos - x2 * sin);
                x[base + half + i] = (float) (x2 * cos + x1 * sin);
            }
        }
    }
}
