package io.moestream.routing;

import java.util.SplittableRandom;

/**
 * Router logits with a controllable, documented imbalance, for trying policies without a model.
 *
 * <p>A seeded random permutation {@code pi} ranks the experts by popularity, and
 * {@code a[t][e] = -skew * ln(1 + pi(e)) + g[t][e]} with {@code g} i.i.d. standard Gumbel noise.
 * By the Gumbel-max property a softmax router's first choice is then exactly Zipf distributed,
 * {@code P(first choice has popularity rank r) ~ (r + 1)^-skew}, and its top-k are draws without
 * replacement (Plackett-Luce) from the same weights. {@code skew = 0} is balanced; {@code skew = 1}
 * puts the busiest expert at several times the mean load, the range measured on OLMoE (4-7x) and
 * Mixtral (1.5-3x).
 */
public final class SyntheticLogits {

    private final int[] popularity;
    private final double[] bias;
    private final SplittableRandom random;

    public SyntheticLogits(int experts, double skew, long seed) {
        if (experts < 1) {
            throw new IllegalArgumentException("experts must be >= 1, got " + experts);
        }
        if (!(skew >= 0) || Double.isInfinite(skew)) {
            throw new IllegalArgumentException("skew must be a finite number >= 0, got " + skew);
        }
        random = new SplittableRandom(seed);
        popularity = new int[experts];
        for (int e = 0; e < experts; e++) {
            popularity[e] = e;
        }
        for (int e = experts - 1; e > 0; e--) {
            int other = random.nextInt(e + 1);
            int swap = popularity[e];
            popularity[e] = popularity[other];
            popularity[other] = swap;
        }
        bias = new double[experts];
        for (int e = 0; e < experts; e++) {
            bias[e] = -skew * Math.log(1 + popularity[e]);
        }
    }

    /** The popularity rank {@code pi(e)} of an expert, 0 the most popular. */
    public int popularityRank(int expert) {
        return popularity[expert];
    }

    /** Draws the logits of the next step of {@code tokens} tokens. */
    public double[][] nextStep(int tokens) {
        double[][] logits = new double[tokens][bias.length];
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < bias.length; e++) {
                logits[t][e] = bias[e] + gumbel();
            }
        }
        return logits;
    }

    private double gumbel() {
        double u;
        do {
            u = random.nextDouble();
        } while (u == 0.0);
        return -Math.log(-Math.log(u));
    }
}
