package io.moestream.layer;

/** The router's gate, {@code a[t][e] = x_t . Wg[e]}, accumulated in double so routing sees stable logits. */
public final class GateProjection {

    private final int hidden;
    private final int experts;
    private final float[] gate;

    /** @param gate {@code Wg} row-major {@code [experts][hidden]} */
    public GateProjection(int hidden, int experts, float[] gate) {
        if (gate.length != (long) experts * hidden) {
            throw new IllegalArgumentException("gate has " + gate.length + " values, expected experts * hidden = "
                    + experts + " * " + hidden);
        }
        this.hidden = hidden;
        this.experts = experts;
        this.gate = gate;
    }

    public int experts() {
        return experts;
    }

    /** @param x {@code [tokens][hidden]} row-major */
    public double[][] logits(float[] x, int tokens) {
        double[][] logits = new double[tokens][experts];
        for (int t = 0; t < tokens; t++) {
            int row = t * hidden;
            for (int e = 0; e < experts; e++) {
                logits[t][e] = dot(x, row, gate, e * hidden, hidden);
            }
        }
        return logits;
    }

    /** Four independent accumulators, so the JIT can overlap the multiply-adds. */
    static double dot(float[] a, int aStart, float[] b, int bStart, int length) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < length; i += 4) {
            s0 += (double) a[aStart + i] * b[bStart + i];
            s1 += (double) a[aStart + i + 1] * b[bStart + i + 1];
            s2 += (double) a[aStart + i + 2] * b[bStart + i + 2];
            s3 += (double) a[aStart + i + 3] * b[bStart + i + 3];
        }
        for (; i < length; i++) {
            s0 += (double) a[aStart + i] * b[bStart + i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
