package io.moestream.decoder;

/**
 * Rotary position embeddings: pair {@code i} of a head is rotated by
 * {@code position * theta^(-2i/headDim)}. In the rotate-half form of the Llama family
 * ({@link #rotate}) pair {@code i} is dimensions {@code i} and {@code i + headDim/2}; in DeepSeek-V2's
 * ({@link #rotatePairs}) it is the adjacent {@code 2i} and {@code 2i + 1}.
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

    /** Rotates {@code heads} consecutive heads of {@code x} starting at {@code from}, in place, pairing halves. */
    void rotate(float[] x, int from, int heads, double[] cosSin) {
        for (int h = 0; h < heads; h++) {
            rotateHead(x, from + h * headDim, 1, headDim / 2, cosSin);
        }
    }

    /**
     * Rotates {@code heads} heads of {@code x}, the first at {@code from} and each {@code stride} after
     * the previous, in place, pairing adjacent dimensions: transformers' DeepSeek-V2
     * {@code apply_rotary_emb}, which multiplies each pair as a complex number by {@code e^(i angle)}.
     */
    void rotatePairs(float[] x, int from, int heads, int stride, double[] cosSin) {
        for (int h = 0; h < heads; h++) {
            rotateHead(x, from + h * stride, 2, 1, cosSin);
        }
    }

    /** Pair {@code i} is {@code base + i * step} and {@code partner} after it. */
    private void rotateHead(float[] x, int base, int step, int partner, double[] cosSin) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            int a = base + i * step;
            double x1 = x[a];
            double x2 = x[a + partner];
            double cos = cosSin[i];
            double sin = cosSin[half + i];
            x[a] = (float) (x1 * cos - x2 * sin);
            x[a + partner] = (float) (x2 * cos + x1 * sin);
        }
    }
}
