package io.moestream.routing;

import io.moestream.routing.Options.ScoreFunction;

/** Scores {@code p[t][e]} from logits {@code a[t][e]} (ROUTING-SPEC section 1). */
public final class GateScores {

    /**
     * The softmax denominator is summed in fixed point, 52 fractional bits: integer addition is
     * associative, so two tokens whose logit rows are permutations of each other get bit-identical
     * scores and the spec's tie-break (lower token index), not rounding, decides between them. Each
     * term is at most 1 (the row's maximum gives exp(0)), so the sum is at least 1 and the rounding
     * costs no more than double addition would; up to 2048 experts fit in a long.
     */
    private static final double FIXED_POINT = 0x1p52;

    private GateScores() {
    }

    /**
     * @return {@code p[t * experts + e]}: a softmax over each row (max-subtracted, so large logits
     *         do not overflow), or an element-wise sigmoid
     */
    public static double[] compute(ScoreFunction function, double[][] logits, int experts) {
        double[] p = new double[logits.length * experts];
        for (int t = 0; t < logits.length; t++) {
            double[] a = logits[t];
            int base = t * experts;
            if (function == ScoreFunction.SIGMOID) {
                for (int e = 0; e < experts; e++) {
                    p[base + e] = 1.0 / (1.0 + Math.exp(-a[e]));
                }
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double v : a) {
                max = Math.max(max, v);
            }
            long sum = 0;
            for (int e = 0; e < experts; e++) {
                p[base + e] = Math.exp(a[e] - max);
                sum += Math.round(p[base + e] * FIXED_POINT);
            }
            double denominator = sum / FIXED_POINT;
            for (int e = 0; e < experts; e++) {
                p[base + e] /= denominator;
            }
        }
        return p;
    }
}
