package io.moestream.routing;

import java.util.Arrays;

/**
 * "Each expert keeps its C best": in every capacity group, keeps the candidates with the highest
 * key up to a budget; equal keys go to the candidate listed first. Callers list candidates by
 * token index, so ties go to the lower token index as the spec requires.
 */
final class KeepBest {

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
        int lo = 0;
        int hi = values.length - 1;
        while (lo < hi) {
            double pivot = values[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (values[i] > pivot) {
                    i++;
                }
                while (values[j] < pivot) {
                    j--;
                }
                if (i <= j) {
                    double swap = values[i];
                    values[i++] = values[j];
                    values[j--] = swap;
                }
            }
            if (rank <= j) {
                hi = j;
            } else if (rank >= i) {
                lo = i;
            } else {
                return values[rank];
            }
        }
        return values[lo];
    }
}
