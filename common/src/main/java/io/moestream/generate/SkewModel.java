package io.moestream.generate;

import io.moestream.routing.SyntheticLogits;
import java.util.SplittableRandom;

/**
 * The embedding table and router gates of a generated model, built so that routing real text is as
 * unbalanced as in trained MoE models, by an amount one number controls.
 *
 * <p><b>The model of skew.</b> Trained embedding tables are anisotropic: every row shares a large
 * common direction. Here each row is {@code e_v = m + r_v}, with {@code m} one random direction
 * holding a quarter of the row's energy ({@code |m|^2 = d/4}) and {@code r_v} a random direction
 * orthogonal to {@code m} with the rest ({@code |r_v|^2 = 3d/4}), so every row has norm
 * {@code sqrt(d)}: unit RMS, which a RMSNorm in front of the gate would leave unchanged. The gate's
 * rows are {@code Wg[e] = b_e m / |m|^2 + n_e} with {@code n_e} random and also orthogonal to
 * {@code m}, which makes the logits exactly
 *
 * <pre>    a[t][e] = e_t . Wg[e] = b_e + r_t . n_e</pre>
 *
 * <p>a popularity bias plus token-dependent noise, the model of
 * {@link SyntheticLogits}. The bias {@code b_e = -skew * ln(1 + pi(e))} comes from a seeded
 * popularity permutation {@code pi} (drawn by {@code SyntheticLogits} itself, so expert {@code e}
 * has the same rank in both); the noise {@code r_t . n_e} has standard deviation
 * {@code pi / sqrt(6)}, that of the standard Gumbel noise there, because {@code |n_e|} is set
 * from {@code |r_t|} and the dimension. Unlike the synthetic logits the noise is a fixed function
 * of the token: a word that recurs is routed the same way every time, as in early MoE layers,
 * and the corpus's Zipfian word frequencies add their own imbalance.
 *
 * <p>{@code skew = 0} routes uniformly at random over the vocabulary; each preset's default skew
 * puts the busiest expert's load on the bundled corpus where papers measured it (see
 * {@link Preset}). Coordinates are drawn uniformly, a row or the gate per named stream of
 * {@link Seeds}, so any row can be drawn alone: the corpus measurement at full width never builds
 * the whole table.
 *
 * <p><b>Every layer.</b> Each MoE layer's gate is built the same way from streams of its own (its
 * popularity order and its noise directions, indexed by the layer), so the layers favour different
 * experts but each is as skewed as the first. This holds for a whole model because its router input
 * at layer {@code i} is the RMSNorm of the residual stream, which stays dominated by the token's
 * embedding when the blocks add little to it (see {@link WeightPlan}), and RMSNorm gives it back
 * the embedding's unit RMS. Layer 0's gate is the one {@link #gate()} has always built.
 */
public final class SkewModel {

    /** Share of each embedding row's energy along the common direction. */
    static final double ANISOTROPY = 0.25;

    /** Standard deviation of the standard Gumbel distribution, {@code pi / sqrt(6)}. */
    static final double NOISE_STD = Math.PI / Math.sqrt(6);

    private final int hidden;
    private final int experts;
    private final long seed;
    private final double[] mean;
    private final double meanNorm;
    private final double residualNorm;
    private final double skew;

    public SkewModel(int hidden, int experts, double skew, long seed) {
        if (hidden < 2) {
            throw new IllegalArgumentException("the hidden size must be >= 2 to hold a common direction and noise, got "
                    + hidden);
        }
        this.hidden = hidden;
        this.experts = experts;
        this.seed = seed;
        this.skew = skew;
        this.mean = unit(randomVector(Seeds.stream(seed, "embedding-mean")));
        this.meanNorm = Math.sqrt(ANISOTROPY * hidden);
        this.residualNorm = Math.sqrt((1 - ANISOTROPY) * hidden);
    }

    /** How popular {@code expert} is in {@code layer}'s gate: 0 for the most popular. */
    int popularityRank(int layer, int expert) {
        return popularity(layer).popularityRank(expert);
    }

    /** {@code b_e} of {@code layer}'s gate. */
    double bias(int layer, int expert) {
        return bias(popularity(layer), expert);
    }

    private double bias(SyntheticLogits popularity, int expert) {
        return -skew * Math.log(1 + popularity.popularityRank(expert));
    }

    /** {@code pi} of {@code layer}: layer 0's stream is the one this class has always drawn it from. */
    private SyntheticLogits popularity(int layer) {
        return new SyntheticLogits(experts, skew, Seeds.stream(seed, "popularity", layer).nextLong());
    }

    /** Writes embedding row {@code e_token} into {@code out[offset .. offset + hidden)}. */
    public void embeddingRow(int token, float[] out, int offset) {
        double[] r = orthogonalToMean(randomVector(Seeds.stream(seed, "embedding-row", token)));
        double scale = residualNorm / norm(r);
        for (int i = 0; i < hidden; i++) {
            out[offset + i] = (float) (meanNorm * mean[i] + scale * r[i]);
        }
    }

    /** Layer 0's {@code Wg}, {@code [experts][hidden]} row-major. */
    public float[] gate() {
        return gate(0);
    }

    /** {@code layer}'s {@code Wg}, {@code [experts][hidden]} row-major. */
    public float[] gate(int layer) {
        SyntheticLogits popularity = popularity(layer);
        SplittableRandom random = Seeds.stream(seed, "gate", layer);
        // |r_t . n_e| has deviation |r_t| |n_e| / sqrt(d - 1) over random directions in the d - 1
        // dimensions orthogonal to m; solve for |n_e| to make that NOISE_STD.
        double noiseNorm = NOISE_STD * Math.sqrt(hidden - 1) / residualNorm;
        float[] gate = new float[experts * hidden];
        for (int e = 0; e < experts; e++) {
            double[] n = orthogonalToMean(randomVector(random));
            double scale = noiseNorm / norm(n);
            double along = bias(popularity, e) / meanNorm;
            for (int i = 0; i < hidden; i++) {
                gate[e * hidden + i] = (float) (along * mean[i] + scale * n[i]);
            }
        }
        return gate;
    }

    private double[] randomVector(SplittableRandom random) {
        double[] v = new double[hidden];
        for (int i = 0; i < hidden; i++) {
            v[i] = Seeds.uniform(random, 1f);
        }
        return v;
    }

    private double[] orthogonalToMean(double[] v) {
        double along = 0;
        for (int i = 0; i < hidden; i++) {
            along += v[i] * mean[i];
        }
        for (int i = 0; i < hidden; i++) {
            v[i] -= along * mean[i];
        }
        return v;
    }

    private static double[] unit(double[] v) {
        double n = norm(v);
        for (int i = 0; i < v.length; i++) {
            v[i] /= n;
        }
        return v;
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
