package io.moestream.routing;

import io.moestream.routing.Options.CapacityScope;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * One validated step with everything the policies read: scores, choices, capacity and capacity
 * groups. Built once per step so that no policy recomputes them.
 */
final class RoutingStep {

    final RoutingConfig config;
    final Placement placement;
    final int tokens;
    final int experts;
    final int topK;
    final int sourceRank;
    final double[][] logits;
    /** {@code p[t * experts + e]}. */
    final double[] scores;
    /** Each token's first {@code choicesPerToken} choices: the top-k, plus the (k+1)-th for fill-in. */
    final int[] choices;
    final int choicesPerToken;
    /** {@code C}, or {@code null} without capacity. */
    final Integer capacity;
    /** The capacity group of each expert: itself, or its rank under {@code capacity-scope rank}. */
    final int[] groupOf;
    /** Each group's budget; {@link Integer#MAX_VALUE} without capacity. */
    final int[] budget;

    private RoutingStep(RoutingConfig config, Placement placement, double[][] logits, int sourceRank) {
        this.config = config;
        this.placement = placement;
        this.tokens = logits.length;
        this.experts = placement.experts();
        this.topK = config.topK();
        this.sourceRank = sourceRank;
        this.logits = logits;
        this.scores = GateScores.compute(config.scoreFunction(), logits, experts);
        this.choicesPerToken = config.policy().fillInRectification() && topK < experts ? topK + 1 : topK;
        this.choices = new int[tokens * choicesPerToken];
        TopK.select(scores, tokens, experts, choicesPerToken, choices);
        this.capacity = capacity(config, tokens, experts);
        boolean byRank = config.capacityScope() == CapacityScope.RANK;
        this.groupOf = new int[experts];
        this.budget = new int[byRank ? placement.ranks() : experts];
        for (int e = 0; e < experts; e++) {
            groupOf[e] = byRank ? placement.rankOf(e) : e;
        }
        for (int g = 0; g < budget.length; g++) {
            int members = byRank ? placement.expertsOnShared(g).length : 1;
            budget[g] = capacity == null ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE, (long) members * capacity);
        }
    }

    static RoutingStep prepare(RoutingConfig config, Placement placement, double[][] logits, int sourceRank) {
        if (logits == null || logits.length == 0) {
            throw new IllegalArgumentException("a step needs at least one token");
        }
        if (sourceRank < 0 || sourceRank >= placement.ranks()) {
            throw new IllegalArgumentException("source rank " + sourceRank + " is outside 0.." + (placement.ranks() - 1));
        }
        for (int t = 0; t < logits.length; t++) {
            double[] row = logits[t];
            if (row == null || row.length != placement.experts()) {
                throw new IllegalArgumentException("token " + t + ": logit row has " + (row == null ? 0 : row.length)
                        + " values, expected one per expert (" + placement.experts() + ")");
            }
            // A NaN or an infinity makes the row's sum non-finite, so one test per row finds every bad
            // row; only then (or when finite values overflow the sum) is each value looked at.
            double sum = 0;
            for (double v : row) {
                sum += v;
            }
            if (!Double.isFinite(sum)) {
                requireFinite(t, row);
            }
        }
        return new RoutingStep(config, placement, logits, sourceRank);
    }

    private static void requireFinite(int token, double[] row) {
        for (int e = 0; e < row.length; e++) {
            if (!Double.isFinite(row[e])) {
                throw new IllegalArgumentException("token " + token + ", expert " + e + ": logit is " + row[e]
                        + ", expected a finite number");
            }
        }
    }

    /**
     * {@code C = max(1, ceil(gamma * T * k / E))}, computed on the decimal the user wrote so that a
     * factor such as 1.1 does not round up through binary noise.
     */
    static Integer capacity(RoutingConfig config, int tokens, int experts) {
        if (!config.hasCapacity()) {
            return null;
        }
        RoundingMode mode = switch (config.rounding()) {
            case CEIL -> RoundingMode.CEILING;
            case FLOOR -> RoundingMode.FLOOR;
        };
        BigDecimal slots = BigDecimal.valueOf(config.capacityFactor())
                .multiply(BigDecimal.valueOf((long) tokens * config.topK()));
        long c = slots.divide(BigDecimal.valueOf(experts), 0, mode).longValueExact();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, c));
    }

    double score(int token, int expert) {
        return scores[token * experts + expert];
    }

    /** Token {@code t}'s j-th choice, {@code j < choicesPerToken}. */
    int choice(int token, int j) {
        return choices[token * choicesPerToken + j];
    }

    boolean inTopK(int token, int expert) {
        int base = token * choicesPerToken;
        for (int j = 0; j < topK; j++) {
            if (choices[base + j] == expert) {
                return true;
            }
        }
        return false;
    }

    boolean hasCapacity() {
        return capacity != null;
    }
}
