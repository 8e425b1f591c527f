package io.moestream.layer;

/**
 * How far one layer output is from another: what the tests check kernels and the pipeline by, and
 * what {@code ./moe forward --compare dropless} and the demo report as a policy's fidelity.
 */
public final class OutputDistance {

    private OutputDistance() {
    }

    /** {@code ||actual - reference|| / ||reference||} over all values; the plain distance when the reference is 0. */
    public static double relativeL2(float[] actual, float[] reference) {
        return relativeL2(actual, reference, reference.length);
    }

    /** As {@link #relativeL2(float[], float[])} over the first {@code n} values. */
    public static double relativeL2(float[] actual, float[] reference, int n) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) actual[i] - reference[i];
            diff += d * d;
            norm += (double) reference[i] * reference[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    /** The cosine of the angle between the two outputs; 1 when both are 0, 0 when only one is. */
    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < b.length; i++) {
            dot += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        if (aa == 0 || bb == 0) {
            return aa == bb ? 1 : 0;
        }
        return dot / Math.sqrt(aa * bb);
    }
}
