package io.moestream.routing;

/**
 * Orders indices by a key without boxing them: a bottom-up merge sort, stable, so that equal keys keep
 * the order in which their indices were listed (the spec's tie-break wherever callers list by token).
 */
final class StableOrder {

    private StableOrder() {
    }

    /** The indices {@code 0..n-1} by {@code key} descending; equal keys in ascending index order. */
    static int[] byDescendingKey(double[] key, int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        int[] merged = new int[n];
        for (int width = 1; width < n; width *= 2) {
            for (int from = 0; from < n; from += 2 * width) {
                int middle = Math.min(from + width, n);
                int to = Math.min(from + 2 * width, n);
                int left = from;
                int right = middle;
                for (int at = from; at < to; at++) {
                    // Strictly greater to take the right run first: ties go to the left run, the earlier indices.
                    boolean takeRight = right < to && (left == middle || key[order[right]] > key[order[left]]);
                    merged[at] = order[takeRight ? right++ : left++];
                }
            }
            int[] swap = order;
            order = merged;
            merged = swap;
        }
        return order;
    }
}
