package io.moestream.routing;

import io.moestream.routing.Options.CapacityScope;
import io.moestream.routing.Options.Rounding;
import io.moestream.routing.Options.ScoreFunction;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * ROUTING-SPEC's formulas restated the slow, obvious way, independently of the router's code, so
 * that properties can compare the router against them.
 */
final class Reference {

    private Reference() {
    }

    /** {@code p[t][e]}: softmax (or sigmoid) of each logit row, section 1. */
    static double[][] scores(RandomStep step) {
        double[][] p = new double[step.tokens()][];
        Arrays.setAll(p, t -> step.config().scoreFunction() == ScoreFunction.SIGMOID
                ? sigmoid(step.logits()[t]) : softmax(step.logits()[t]));
        return p;
    }

    private static double[] softmax(double[] a) {
        double max = Arrays.stream(a).max().orElseThrow();
        double[] p = Arrays.stream(a).map(x -> Math.exp(x - max)).toArray();
        double sum = Arrays.stream(p).sum();
        return Arrays.stream(p).map(x -> x / sum).toArray();
    }

    private static double[] sigmoid(double[] a) {
        return Arrays.stream(a).map(x -> 1 / (1 + Math.exp(-x))).toArray();
    }

    /** {@code rank_t(1..E)}: the experts by score descending, ties to the lower expert id. */
    static int[] choices(double[] p) {
        return IntStream.range(0, p.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(e -> -p[e]).thenComparingInt(e -> e))
                .mapToInt(Integer::intValue).toArray();
    }

    static int[] topK(RandomStep step, double[] p) {
        return Arrays.copyOf(choices(p), step.topK());
    }

    /** {@code C}, or null when the step runs without capacity. */
    static Integer capacity(RandomStep step) {
        RoutingConfig config = step.config();
        Double gamma = config.capacityFactor();
        if (config.policy() == Policy.DROPLESS || gamma == null || gamma <= 0) {
            return null;
        }
        double exact = gamma * step.tokens() * step.topK() / step.experts();
        double rounded = config.rounding() == Rounding.FLOOR ? Math.floor(exact) : Math.ceil(exact);
        return Math.max(1, (int) rounded);
    }

    /** The capacity group (section 2.7) that expert {@code e} draws from. */
    static int groupOf(RandomStep step, int expert) {
        return rankScope(step) ? step.placement().rankOf(expert) : expert;
    }

    static int groups(RandomStep step) {
        return rankScope(step) ? step.placement().ranks() : step.experts();
    }

    /** {@code C} per expert, {@code |L(r)| * C} per rank. */
    static int budget(RandomStep step, int group, int capacity) {
        return rankScope(step) ? step.placement().expertsOn(group).length * capacity : capacity;
    }

    private static boolean rankScope(RandomStep step) {
        return step.config().capacityScope() == CapacityScope.RANK;
    }

    /** Per capacity group, the number of kept slots that {@code counted} accepts. */
    static int[] groupLoads(RandomStep step, RoutingResult result, Predicate<Slot> counted) {
        int[] load = new int[groups(step)];
        for (int t = 0; t < result.tokens(); t++) {
            for (Slot slot : result.kept(t)) {
                if (counted.test(slot)) {
                    load[groupOf(step, slot.expert())]++;
                }
            }
        }
        return load;
    }

    /** The experts of a token's kept slots that {@code selected} accepts, ascending. */
    static int[] experts(List<Slot> kept, Predicate<Slot> selected) {
        return kept.stream().filter(selected).mapToInt(Slot::expert).toArray();
    }

    static boolean contains(int[] values, int value) {
        return Arrays.stream(values).anyMatch(v -> v == value);
    }

    static double maxOverMean(int[] loads) {
        int max = Arrays.stream(loads).max().orElse(0);
        double mean = Arrays.stream(loads).average().orElse(0);
        return max == 0 ? 0 : max / mean;
    }
}
