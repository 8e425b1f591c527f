package io.moestream.cli;

import java.util.Arrays;

/** Nearest-rank percentiles: each is one of the values measured (one request's, one gap's), not an interpolation. */
final class Percentile {

    private Percentile() {
    }

    /** @param p in (0, 1]; NaN when there are no values */
    static double of(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
