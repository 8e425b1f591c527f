package io.moestream.routing;

import java.util.Arrays;

/** Which rank hosts each expert (ROUTING-SPEC section 1). Immutable. */
public final class Placement {

    private final int[] rankOf;
    private final int[][] expertsOn;

    private Placement(int[] rankOf, int ranks) {
        this.rankOf = rankOf;
        int[] counts = new int[ranks];
        for (int r : rankOf) {
            counts[r]++;
        }
        expertsOn = new int[ranks][];
        for (int r = 0; r < ranks; r++) {
            expertsOn[r] = new int[counts[r]];
        }
        int[] filled = new int[ranks];
        for (int e = 0; e < rankOf.length; e++) {
            expertsOn[rankOf[e]][filled[rankOf[e]]++] = e;
        }
    }

    /**
     * The default placement: contiguous blocks, expert {@code e} on rank {@code e * R / E}, which is
     * the spec's {@code e / (E/R)} when R divides E and spreads the remainder evenly otherwise.
     */
    public static Placement contiguous(int experts, int ranks) {
        if (experts < 1) {
            throw new IllegalArgumentException("experts must be >= 1, got " + experts);
        }
        if (ranks < 1 || ranks > experts) {
            throw new IllegalArgumentException("ranks must be between 1 and the number of experts (" + experts
                    + "), got " + ranks);
        }
        int[] rankOf = new int[experts];
        for (int e = 0; e < experts; e++) {
            rankOf[e] = (int) ((long) e * ranks / experts);
        }
        return new Placement(rankOf, ranks);
    }

    /** An explicit map, {@code rankOf[e]} the rank of expert {@code e}; ranks are {@code 0..max}. */
    public static Placement of(int[] rankOf) {
        if (rankOf.length == 0) {
            throw new IllegalArgumentException("a placement needs at least one expert");
        }
        int ranks = 0;
        for (int e = 0; e < rankOf.length; e++) {
            if (rankOf[e] < 0) {
                throw new IllegalArgumentException("placement: expert " + e + " has negative rank " + rankOf[e]);
            }
            ranks = Math.max(ranks, rankOf[e] + 1);
        }
        return new Placement(rankOf.clone(), ranks);
    }

    public int experts() {
        return rankOf.length;
    }

    public int ranks() {
        return expertsOn.length;
    }

    public int rankOf(int expert) {
        return rankOf[expert];
    }

    /** {@code L(rank)}, ascending; a copy. */
    public int[] expertsOn(int rank) {
        return expertsOn[rank].clone();
    }

    int[] expertsOnShared(int rank) {
        return expertsOn[rank];
    }

    /** The map expert to rank; a copy. */
    public int[] toArray() {
        return rankOf.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Placement p && Arrays.equals(rankOf, p.rankOf);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(rankOf);
    }

    @Override
    public String toString() {
        return "Placement" + Arrays.toString(rankOf);
    }
}
