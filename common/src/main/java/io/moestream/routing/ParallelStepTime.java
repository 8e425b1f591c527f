package io.moestream.routing;

import java.util.List;

/**
 * The compute time of routed steps under expert parallelism, modelled rather than measured: the ranks
 * compute at once and a step ends when its busiest rank does, so a step lasts {@code max_r load_r}
 * rows times the cost of one row. This carries a per-row cost measured on a machine with few cores
 * over to a placement on more ranks than it has. Communication and per-call overheads are left out,
 * and with one cost for every row the cost cancels out of a ratio of two such times: a speed-up is
 * the ratio of the summed busiest-rank rows.
 */
public final class ParallelStepTime {

    private long steps;
    private long busiestRankRows;
    private long rows;

    /** Adds one step by its rows per rank ({@link RoutingStats#rankLoad()}). */
    public void add(List<Integer> rankLoad) {
        if (rankLoad.isEmpty()) {
            throw new IllegalArgumentException("a step needs at least one rank");
        }
        int busiest = 0;
        for (int load : rankLoad) {
            if (load < 0) {
                throw new IllegalArgumentException("rank loads must not be negative, got " + rankLoad);
            }
            busiest = Math.max(busiest, load);
            rows += load;
        }
        busiestRankRows += busiest;
        steps++;
    }

    public long steps() {
        return steps;
    }

    /** Over all steps, the sum of each step's busiest rank's rows. */
    public long busiestRankRows() {
        return busiestRankRows;
    }

    /** Over all steps, every rank's rows. */
    public long rows() {
        return rows;
    }

    /** The modelled compute time of all steps at {@code secondsPerRow} for one row of one expert. */
    public double seconds(double secondsPerRow) {
        return busiestRankRows * secondsPerRow;
    }

    /** How many times shorter these steps are than {@code baseline}'s: its busiest-rank rows over these. */
    public double speedUpOver(ParallelStepTime baseline) {
        if (busiestRankRows == 0) {
            throw new IllegalStateException("no rows computed: the speed-up is undefined");
        }
        return (double) baseline.busiestRankRows / busiestRankRows;
    }
}
