package io.moestream.routing;

import java.util.Arrays;

/**
 * "Each expert keeps its C best": in every capacity group, keeps the candidates with the highest
 * key up to a budget; equal keys go to the candidate listed first. Callers list candidates by
 * token index, so ties go to the lower token index as the spec requires.
 */
final class KeepBest {

    /** Partition rounds after which a range is sorted; random keys need about 2 log2(n). */
    private static final int SORT_AFTER_ROUNDS = 64;

    private KeepBest() {
    }

    /**
     * @param budget the number each capacity group may keep, indexed by group
     * @return per candidate, whether it is kept
     */
    static boolean[] select(RoutingStep step, SlotList candidates, SlotKey key, int[] budget) {
        int n = candidates.size();
        int groups = budget.length;
        int[] start = new int[groups + 1];
        for (int i = 0; i < n; i++) {
            start[step.groupOf[candidates.expert(i)] + 1]++;
        }
        for (int g = 0; g < groups; g++) {
            start[g + 1] += start[g];
        }
        // Bucket by group with a stable counting sort, so that each bucket keeps the caller's order.
        int[] next = Arrays.copyOf(start, groups);
        int[] member = new int[n];
        double[] keys = new double[n];
        for (int i = 0; i < n; i++) {
            int at = next[step.groupOf[candidates.expert(i)]]++;
            member[at] = i;
            keys[at] = key.of(candidates.token(i), candidates.expert(i));
        }
        boolean[] kept = new boolean[n];
        for (int g = 0; g < groups; g++) {
            keepBestInBucket(member, keys, start[g], start[g + 1], budget[g], kept);
        }
        return kept;
    }

    /**
     * Finds the budget-th largest key by quickselect (linear time, unlike sorting the bucket), keeps
     * every key above it and, of the keys equal to it, the earliest ones until the budget is spent.
     */
    private static void keepBestInBucket(int[] member, double[] keys, int from, int to, int budget, boolean[] kept) {
        int n = to - from;
        if (n <= budget) {
            for (int i = from; i < to; i++) {
                kept[member[i]] = true;
            }
            return;
        }
        if (budget <= 0) {
            return;
        }
        double[] scratch = Arrays.copyOfRange(keys, from, to);
        double threshold = kthLargest(scratch, budget - 1);
        int above = 0;
        for (int i = from; i < to; i++) {
            if (keys[i] > threshold) {
                above++;
            }
        }
        int tiesToKeep = budget - above;
        for (int i = from; i < to; i++) {
            if (keys[i] > threshold || (keys[i] == threshold && tiesToKeep-- > 0)) {
                kept[member[i]] = true;
            }
        }
    }

    /** The element that would sit at {@code rank} if {@code values} were sorted descending. */
    private static double kthLargest(double[] values, int rank) {
        return kthLargest(values, rank, SORT_AFTER_ROUNDS);
    }

    /** As above, sorting whatever range is left after {@code sortAfterRounds} partition rounds. */
    static double kthLargest(double[] values, int rank, int sortAfterRounds) {
        int lo = 0;
        int hi = values.length - 1;
        for (int round = 0; lo < hi; round++) {
            if (round == sortAfterRounds) {
                // Ranges that barely shrink (many equal keys) would make partitioning quadratic.
                Arrays.sort(values, lo, hi + 1);
                return values[lo + hi - rank];
            }
            swap(values, (lo + hi) >>> 1, hi);
            double pivot = values[hi];
            // Lomuto partition, larger keys first, without a branch on the comparison: keys are random
            // with respect to the pivot, so a branch would be mispredicted half the time.
            int i = lo;
            for (int j = lo; j < hi; j++) {
                double v = values[j];
                values[j] = values[i];
                values[i] = v;
                i += v > pivot ? 1 : 0;
            }
            swap(values, i, hi);
            if (rank < i) {
                hi = i - 1;
            } else if (rank > i) {
                lo = i + 1;
            } else {
                return values[i];
            }
        }
        return values[lo];
    }

    private static void swap(double[] values, int i, int j) {
        double swap = values[i];
        values[i] = values[j];
        values[j] = swap;
    }
}
