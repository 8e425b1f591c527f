package io.moestream.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Section 2.4's {@code token-reroute} rounds, executed literally on the test's own scores. The
 * outcome is only defined up to rounding when two slots at a capacity cut have scores closer than
 * rounding noise without being certainly equal; the model then declines to answer.
 */
final class RerouteRoundsModel {

    private static final double NOISE = 1e-12;

    private final RandomStep step;
    private final double[][] p;
    private final double[][] s;
    private final int[][] selection;

    private RerouteRoundsModel(RandomStep step, double[][] p) {
        this.step = step;
        this.p = p;
        this.s = Arrays.stream(p).map(double[]::clone).toArray(double[][]::new);
        this.selection = Arrays.stream(p).map(row -> Reference.topK(step, row)).toArray(int[][]::new);
    }

    /** Per token, the experts that keep it after the last round; empty when rounding decides. */
    static Optional<List<List<Integer>>> kept(RandomStep step, double[][] p) {
        return new RerouteRoundsModel(step, p).run();
    }

    private record Slot(int token, int expert) {
    }

    private Optional<List<List<Integer>>> run() {
        Integer capacity = Reference.capacity(step);
        List<Slot> kept = new ArrayList<>();
        for (int round = 1; ; round++) {
            kept.clear();
            List<Slot> dropped = new ArrayList<>();
            for (int group = 0; group < Reference.groups(step); group++) {
                List<Slot> competing = competingFor(group);
                int budget = capacity == null ? competing.size() : Reference.budget(step, group, capacity);
                int cut = Math.min(budget, competing.size());
                if (!certainCut(competing, cut)) {
                    return Optional.empty();
                }
                kept.addAll(competing.subList(0, cut));
                dropped.addAll(competing.subList(cut, competing.size()));
            }
            if (round == step.config().rounds()) {
                break;
            }
            for (Slot slot : dropped) {
                s[slot.token()][slot.expert()] = -1;
            }
            // Tokens without drops re-select their unchanged top-k, so re-selecting all is the same.
            for (int t = 0; t < step.tokens(); t++) {
                double[] row = s[t];
                selection[t] = Arrays.stream(Reference.choices(row)).filter(e -> row[e] >= 0).limit(step.topK())
                        .toArray();
            }
        }
        List<List<Integer>> perToken = new ArrayList<>();
        for (int t = 0; t < step.tokens(); t++) {
            int token = t;
            perToken.add(kept.stream().filter(slot -> slot.token() == token).map(Slot::expert).sorted().toList());
        }
        return Optional.of(perToken);
    }

    /** The current selections on the group's experts, best first: {@code S} descending, then token index. */
    private List<Slot> competingFor(int group) {
        List<Slot> competing = new ArrayList<>();
        for (int t = 0; t < step.tokens(); t++) {
            for (int e : selection[t]) {
                if (Reference.groupOf(step, e) == group) {
                    competing.add(new Slot(t, e));
                }
            }
        }
        competing.sort(Comparator.<Slot>comparingDouble(slot -> -s[slot.token()][slot.expert()])
                .thenComparingInt(Slot::token));
        return competing;
    }

    /** No slot kept at the cut could lose its place to a dropped one by rounding alone. */
    private boolean certainCut(List<Slot> competing, int cut) {
        for (Slot in : competing.subList(0, cut)) {
            for (Slot out : competing.subList(cut, competing.size())) {
                boolean close = Math.abs(s[in.token()][in.expert()] - s[out.token()][out.expert()]) <= NOISE;
                if (close && !Reference.mustPreferByScore(step, p, in.token(), in.expert(), out.token(), out.expert())) {
                    return false;
                }
            }
        }
        return true;
    }
}
