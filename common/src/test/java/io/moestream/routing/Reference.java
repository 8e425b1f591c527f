package io.moestream.routing;

import io.moestream.routing.Options.CapacityScope;
import io.moestream.routing.Options.Rounding;
import io.moestream.routing.Options.ScoreFunction;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
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
        // Insertion sort from the lowest id, moving an expert only past strictly lower scores: stable,
        // so equal scores keep ascending ids.
        int[] order = new int[p.length];
        for (int e = 0; e < p.length; e++) {
            int at = e;
            while (at > 0 && p[order[at - 1]] < p[e]) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = e;
        }
        return order;
    }

    static int[] topK(RandomStep step, double[] p) {
        return Arrays.copyOf(choices(p), step.topK());
    }

    /**
     * Whether "keep the best by score, ties to the lower token index" must keep slot (t1, e1) ahead
     * of (t2, e2). Scores closer than rounding noise only count as a tie when they are certainly
     * bit-equal in any implementation (identical logit rows and logits); otherwise neither is
     * required first.
     */
    static boolean mustPreferByScore(RandomStep step, double[][] p, int t1, int e1, int t2, int e2) {
        if (Math.abs(p[t1][e1] - p[t2][e2]) > 1e-12) {
            return p[t1][e1] > p[t2][e2];
        }
        double[][] a = step.logits();
        return t1 < t2 && Arrays.equals(a[t1], a[t2]) && a[t1][e1] == a[t2][e2];
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

    /** One list per token, so that a property of a whole step is one assertion that shows every token. */
    static List<List<Integer>> perToken(RoutingResult result, IntFunction<int[]> perToken) {
        return IntStream.range(0, result.tokens()).mapToObj(t -> boxed(perToken.apply(t))).toList();
    }

    /** For AssertJ's collection assertions, which, unlike its array ones, accept empty groups. */
    static List<Integer> boxed(int[] values) {
        return Arrays.stream(values).boxed().toList();
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
