package io.moestream.routing;

import java.util.Arrays;

/**
 * Per-expert dispatch lists of one step: the tokens each expert computes, in token order, with
 * the weight their output is combined with. Immutable.
 */
public final class ExpertDispatch {

    private final int[] start;
    private final int[] token;
    private final double[] weight;

    ExpertDispatch(int[] start, int[] token, double[] weight) {
        this.start = start;
        this.token = token;
        this.weight = weight;
    }

    public int experts() {
        return start.length - 1;
    }

    /** The token indices expert {@code e} computes, ascending. */
    public int[] tokens(int expert) {
        return Arrays.copyOfRange(token, start[expert], start[expert + 1]);
    }

    /** The combine weights matching {@link #tokens(int)}. */
    public double[] weights(int expert) {
        return Arrays.copyOfRange(weight, start[expert], start[expert + 1]);
    }
}
