package io.moestream.routing;

/**
 * Top-k selection with the spec's tie-break: by score descending, ties to the lower expert id.
 * This is also the baseline the routing benchmarks compare every policy against.
 */
public final class TopK {

    private TopK() {
    }

    /**
     * Writes each token's first {@code m} choices into {@code out[t * m ..]}.
     *
     * @param scores {@code p[t * experts + e]}
     */
    public static void select(double[] scores, int tokens, int experts, int m, int[] out) {
        for (int t = 0; t < tokens; t++) {
            selectRow(scores, t * experts, experts, m, out, t * m, 0.0);
        }
    }

    /**
     * Selects the best {@code m} entries of one row among those with a score {@code >= floor}, by
     * insertion into a sorted prefix: an entry moves ahead only of strictly smaller scores, so equal
     * scores keep the lower expert id first.
     *
     * @return how many entries were selected (fewer than {@code m} when the row runs out)
     */
    static int selectRow(double[] scores, int rowStart, int experts, int m, int[] out, int outStart, double floor) {
        int count = 0;
        for (int e = 0; e < experts; e++) {
            double s = scores[rowStart + e];
            if (s < floor || (count == m && s <= scores[rowStart + out[outStart + m - 1]])) {
                continue;
            }
            int i = count == m ? m - 1 : count++;
            while (i > 0 && scores[rowStart + out[outStart + i - 1]] < s) {
                out[outStart + i] = out[outStart + i - 1];
                i--;
            }
            out[outStart + i] = e;
        }
        return count;
    }
}
