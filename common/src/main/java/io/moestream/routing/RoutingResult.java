package io.moestream.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The routing of one step: per token its kept slots (sorted by expert id) and dropped experts,
 * and the step's statistics. Immutable. Stored as compressed rows so that the pipeline can read
 * per-token combine instructions and per-expert dispatch lists without recomputing anything.
 */
public final class RoutingResult {

    private static final SlotKind[] KINDS = SlotKind.values();

    private final int sourceRank;
    private final int[] slotStart;
    private final int[] slotExpert;
    private final byte[] slotKind;
    private final double[] slotWeight;
    private final int[] slotMultiplicity;
    private final int[] droppedStart;
    private final int[] droppedExpert;
    private final RoutingStats stats;

    RoutingResult(int sourceRank, int[] slotStart, int[] slotExpert, byte[] slotKind, double[] slotWeight,
                  int[] slotMultiplicity, int[] droppedStart, int[] droppedExpert, RoutingStats stats) {
        this.sourceRank = sourceRank;
        this.slotStart = slotStart;
        this.slotExpert = slotExpert;
        this.slotKind = slotKind;
        this.slotWeight = slotWeight;
        this.slotMultiplicity = slotMultiplicity;
        this.droppedStart = droppedStart;
        this.droppedExpert = droppedExpert;
        this.stats = stats;
    }

    public int sourceRank() {
        return sourceRank;
    }

    public int tokens() {
        return slotStart.length - 1;
    }

    /** {@code C}, or {@code null} when the step ran without capacity. */
    public Integer capacity() {
        return stats.capacity();
    }

    public RoutingStats stats() {
        return stats;
    }

    /** Token {@code t}'s kept slots, by expert id ascending. */
    public List<Slot> kept(int token) {
        int from = slotStart[token];
        int to = slotStart[token + 1];
        List<Slot> slots = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            slots.add(new Slot(slotExpert[i], KINDS[slotKind[i]], slotWeight[i], slotMultiplicity[i]));
        }
        return Collections.unmodifiableList(slots);
    }

    /** Token {@code t}'s dropped experts: those of its top-k that do not keep it, by choice order. */
    public int[] dropped(int token) {
        return Arrays.copyOfRange(droppedExpert, droppedStart[token], droppedStart[token + 1]);
    }

    /**
     * The rows each expert computes: for expert {@code e}, the tokens with a kept slot on it in
     * token order, each with its combine weight. Derived from the stored slots.
     */
    public ExpertDispatch dispatch() {
        int experts = stats.load().size();
        int[] start = new int[experts + 1];
        for (int e : slotExpert) {
            start[e + 1]++;
        }
        for (int e = 0; e < experts; e++) {
            start[e + 1] += start[e];
        }
        int[] next = Arrays.copyOf(start, experts);
        int[] token = new int[slotExpert.length];
        double[] weight = new double[slotExpert.length];
        for (int t = 0; t < tokens(); t++) {
            for (int i = slotStart[t]; i < slotStart[t + 1]; i++) {
                int at = next[slotExpert[i]]++;
                token[at] = t;
                weight[at] = slotWeight[i];
            }
        }
        return new ExpertDispatch(start, token, weight);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RoutingResult r && sourceRank == r.sourceRank
                && Arrays.equals(slotStart, r.slotStart) && Arrays.equals(slotExpert, r.slotExpert)
                && Arrays.equals(slotKind, r.slotKind) && Arrays.equals(slotWeight, r.slotWeight)
                && Arrays.equals(slotMultiplicity, r.slotMultiplicity)
                && Arrays.equals(droppedStart, r.droppedStart) && Arrays.equals(droppedExpert, r.droppedExpert)
                && stats.equals(r.stats);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(slotExpert) + Arrays.hashCode(slotWeight);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("RoutingResult[C=").append(capacity()).append(']');
        for (int t = 0; t < tokens(); t++) {
            out.append("\n  t").append(t).append(' ').append(kept(t)).append(" dropped ")
                    .append(Arrays.toString(dropped(t)));
        }
        return out.toString();
    }
}
