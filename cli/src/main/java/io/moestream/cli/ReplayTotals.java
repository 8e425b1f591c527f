package io.moestream.cli;

import io.moestream.routing.RoutingResult;
import io.moestream.routing.RoutingStats;
import java.util.function.Consumer;

/** Whole-trace figures of one configuration, summed step by step from each step's statistics. */
final class ReplayTotals implements Consumer<RoutingResult> {

    private final long[] demand;
    private final long[] load;
    private int steps;
    private long tokens;
    private long topKSlots;
    private long kept;
    private long dropped;
    private long rerouted;
    private long expanded;
    private long rectified;
    private long filled;
    private long tokensWithoutSlot;
    private long crossRankSlots;
    private int stepsWithCapacity;
    private long capacity;
    private int minCapacity = Integer.MAX_VALUE;
    private int maxCapacity;
    private long vacancy;
    private double expertStragglerSum;
    private double expertStragglerMax;
    private double rankStragglerSum;
    private double rankStragglerMax;
    private double balancednessSum;
    private double gateMassKeptSum;

    ReplayTotals(int experts) {
        demand = new long[experts];
        load = new long[experts];
    }

    @Override
    public void accept(RoutingResult result) {
        RoutingStats step = result.stats();
        steps++;
        tokens += step.tokens();
        topKSlots += (long) step.tokens() * step.topK();
        for (int e = 0; e < demand.length; e++) {
            demand[e] += step.demand().get(e);
            load[e] += step.load().get(e);
        }
        kept += step.kept();
        dropped += step.dropped();
        rerouted += step.rerouted();
        expanded += step.expanded();
        rectified += step.rectified();
        filled += step.filled();
        tokensWithoutSlot += step.tokensWithoutSlot();
        crossRankSlots += step.crossRankSlots();
        if (step.capacity() != null) {
            stepsWithCapacity++;
            capacity += step.capacity();
            minCapacity = Math.min(minCapacity, step.capacity());
            maxCapacity = Math.max(maxCapacity, step.capacity());
            vacancy += step.vacancy() == null ? 0 : step.vacancy();
        }
        expertStragglerSum += step.expertStraggler();
        // mean/max load is 1/straggler; a step that keeps nothing is not unbalanced.
        balancednessSum += step.expertStraggler() > 0 ? 1 / step.expertStraggler() : 1;
        expertStragglerMax = Math.max(expertStragglerMax, step.expertStraggler());
        rankStragglerSum += step.rankStraggler();
        rankStragglerMax = Math.max(rankStragglerMax, step.rankStraggler());
        gateMassKeptSum += step.gateMassKept();
    }

    int experts() {
        return demand.length;
    }

    int steps() {
        return steps;
    }

    long tokens() {
        return tokens;
    }

    long topKSlots() {
        return topKSlots;
    }

    double meanDemand(int expert) {
        return (double) demand[expert] / steps;
    }

    double meanLoad(int expert) {
        return (double) load[expert] / steps;
    }

    long kept() {
        return kept;
    }

    long dropped() {
        return dropped;
    }

    /** {@code dropped / (T * k)} over the whole trace. */
    double dropRate() {
        return topKSlots == 0 ? 0 : (double) dropped / topKSlots;
    }

    long rerouted() {
        return rerouted;
    }

    long expanded() {
        return expanded;
    }

    long rectified() {
        return rectified;
    }

    long filled() {
        return filled;
    }

    long tokensWithoutSlot() {
        return tokensWithoutSlot;
    }

    long crossRankSlots() {
        return crossRankSlots;
    }

    boolean hasCapacity() {
        return stepsWithCapacity > 0;
    }

    /** Mean {@code C} over the steps that had one. */
    double meanCapacity() {
        return (double) capacity / stepsWithCapacity;
    }

    /** Whether {@code C} differed between steps (steps of different sizes). */
    boolean capacityVaries() {
        return minCapacity != maxCapacity;
    }

    double vacancyPerStep() {
        return (double) vacancy / steps;
    }

    double meanExpertStraggler() {
        return expertStragglerSum / steps;
    }

    double maxExpertStraggler() {
        return expertStragglerMax;
    }

    /** Mean over steps of mean/max expert load: 1 is perfectly balanced (SGLang's and vLLM's figure). */
    double meanBalancedness() {
        return steps == 0 ? 0 : balancednessSum / steps;
    }

    double meanRankStraggler() {
        return rankStragglerSum / steps;
    }

    double maxRankStraggler() {
        return rankStragglerMax;
    }

    /** The mean over steps of each step's gate mass kept. */
    double meanGateMassKept() {
        return gateMassKeptSum / steps;
    }
}
