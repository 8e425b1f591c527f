package io.moestream.chaos;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fuzz phase's figures: what became of the bad records, and how the good requests sent meanwhile fared against
 * those of the baseline (issue #10: none lost, none slowed by more than {@link #SLOWDOWN_GOAL}x).
 *
 * @param rounds corpus rounds begun
 * @param perSecond bad records a second
 * @param seconds how long they were sent
 * @param baseline good requests sent in the baseline before the phase
 * @param during good requests sent during the phase
 */
record FuzzFigures(FuzzLedger.Account account, int rounds, double perSecond, double seconds, Latency baseline,
                   Latency during) {

    static final double SLOWDOWN_GOAL = 2.0;

    /**
     * End-to-end latency (sent to result read) of the requests sent in a window.
     *
     * @param requests sent in the window
     * @param ok of those, with an ok first result
     * @param p50 median over the ok ones, null without any
     * @param p99 99th percentile over the ok ones (nearest rank), null without any
     */
    record Latency(int requests, int ok, Duration p50, Duration p99) {

        /**
         * @param sent accepted prompt ids and when each was sent (System.nanoTime)
         * @param results every result, in arrival order
         */
        static Latency of(Map<String, Long> sent, List<ResultLog.Arrival> results, long fromNanos, long toNanos) {
            Map<String, ResultLog.Arrival> first = new HashMap<>();
            results.forEach(r -> first.putIfAbsent(r.id(), r));
            int requests = 0;
            long[] latencies = new long[sent.size()];
            int ok = 0;
            for (Map.Entry<String, Long> request : sent.entrySet()) {
                long at = request.getValue();
                if (at < fromNanos || at >= toNanos) {
                    continue;
                }
                requests++;
                ResultLog.Arrival result = first.get(request.getKey());
                if (result != null && result.ok()) {
                    latencies[ok++] = result.arrivedNanos() - at;
                }
            }
            long[] sorted = Arrays.copyOf(latencies, ok);
            Arrays.sort(sorted);
            return new Latency(requests, ok, percentile(sorted, 0.50), percentile(sorted, 0.99));
        }

        private static Duration percentile(long[] sorted, double p) {
            return sorted.length == 0 ? null
                    : Duration.ofNanos(sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)]);
        }
    }

    /** During over baseline; NaN when either has no ok request. */
    double p50Ratio() {
        return ratio(baseline.p50(), during.p50());
    }

    double p99Ratio() {
        return ratio(baseline.p99(), during.p99());
    }

    /** Every good request of the phase ok and neither percentile past the goal. */
    boolean goodRequestsUnharmed() {
        return during.requests() > 0 && during.ok() == during.requests() && p50Ratio() <= SLOWDOWN_GOAL
                && p99Ratio() <= SLOWDOWN_GOAL;
    }

    private static double ratio(Duration base, Duration value) {
        return base == null || value == null || base.isZero() ? Double.NaN
                : (double) value.toNanos() / base.toNanos();
    }
}
