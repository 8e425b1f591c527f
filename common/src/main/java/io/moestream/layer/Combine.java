package io.moestream.layer;

/**
 * {@code y_t = sum over kept slots of w * Expert_e(x_t)}: the one combine step, used by the
 * in-process layer and by the pipeline's reassembly alike.
 */
public final class Combine {

    private Combine() {
    }

    /** {@code out[outStart ..+ length] += weight * rows[rowStart ..+ length]}. */
    public static void addScaled(float[] out, int outStart, float[] rows, int rowStart, int length, double weight) {
        float w = (float) weight;
        for (int i = 0; i < length; i++) {
            out[outStart + i] += w * rows[rowStart + i];
        }
    }
}
