package io.moestream.routing;

import io.moestream.routing.Options.ScoreFunction;

/** Scores {@code p[t][e]} from logits {@code a[t][e]} (ROUTING-SPEC section 1). */
public final class GateScores {

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
            double sum = 0;
            for (int e = 0; e < experts; e++) {
                p[base + e] = Math.exp(a[e] - max);
                sum += p[base + e];
            }
            for (int e = 0; e < experts; e++) {
                p[base + e] /= sum;
            }
        }
        return p;
    }
}
