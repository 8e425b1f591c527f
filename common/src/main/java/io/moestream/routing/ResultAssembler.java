package io.moestream.routing;

import io.moestream.routing.Options.Weights;

import java.util.Arrays;

/** Turns a finished assignment into the immutable result: combine weights, dropped lists, statistics. */
final class ResultAssembler {

    private final RoutingStep step;
    private final Assignment assignment;
    private final int[] slotStart;
    private final int[] slotExpert;
    private final byte[] slotKind;
    private final double[] slotWeight;
    private final int[] slotMultiplicity;

    private ResultAssembler(RoutingStep step, Assignment assignment) {
        this.step = step;
        this.assignment = assignment;
        slotStart = new int[step.tokens + 1];
        for (int t = 0; t < step.tokens; t++) {
            int count = 0;
            for (int e = 0; e < step.experts; e++) {
                if (assignment.has(t, e)) {
                    count++;
                }
            }
            slotStart[t + 1] = slotStart[t] + count;
        }
        int slots = slotStart[step.tokens];
        slotExpert = new int[slots];
        slotKind = new byte[slots];
        slotWeight = new double[slots];
        slotMultiplicity = new int[slots];
    }

    static RoutingResult assemble(RoutingStep step, Assignment assignment) {
        return new ResultAssembler(step, assignment).build();
    }

    private RoutingResult build() {
        int at = 0;
        for (int t = 0; t < step.tokens; t++) {
            for (int e = 0; e < step.experts; e++) {
                SlotKind kind = assignment.kind(t, e);
                if (kind != null) {
                    slotExpert[at] = e;
                    slotKind[at] = (byte) kind.ordinal();
                    slotMultiplicity[at] = assignment.multiplicity(t, e);
                    at++;
                }
            }
            weigh(t);
        }
        int[] droppedStart = new int[step.tokens + 1];
        int[] droppedExpert = new int[step.tokens * step.topK];
        int dropped = 0;
        for (int t = 0; t < step.tokens; t++) {
            for (int j = 0; j < step.topK; j++) {
                int e = step.choice(t, j);
                if (assignment.kind(t, e) != SlotKind.PRIMARY) {
                    droppedExpert[dropped++] = e;
                }
            }
            droppedStart[t + 1] = dropped;
        }
        droppedExpert = Arrays.copyOf(droppedExpert, dropped);
        RoutingStats stats = new StatsCollector(step, slotStart, slotExpert, slotKind, droppedExpert.length).collect();
        return new RoutingResult(step.sourceRank, slotStart, slotExpert, slotKind, slotWeight, slotMultiplicity,
                droppedStart, droppedExpert, stats);
    }

    /** Fills the combine weights of token {@code t}'s slots (section 1 "Combine weights" and 2.6 step 4). */
    private void weigh(int t) {
        int from = slotStart[t];
        int to = slotStart[t + 1];
        if (step.config.policy().rectifies()) {
            weighRectified(t, from, to);
            return;
        }
        Weights weights = step.config.weights();
        double denominator = 1.0;
        if (weights == Weights.TOPK) {
            denominator = 0;
            for (int j = 0; j < step.topK; j++) {
                denominator += step.score(t, step.choice(t, j));
            }
        } else if (weights == Weights.KEPT) {
            denominator = 0;
            for (int i = from; i < to; i++) {
                denominator += step.score(t, slotExpert[i]);
            }
        }
        for (int i = from; i < to; i++) {
            slotWeight[i] = denominator > 0 ? step.score(t, slotExpert[i]) / denominator : 0;
        }
    }

    /** Softmax of the logits over the final slots, each counted with its multiplicity. */
    private void weighRectified(int t, int from, int to) {
        double[] a = step.logits[t];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            max = Math.max(max, a[slotExpert[i]]);
        }
        double sum = 0;
        for (int i = from; i < to; i++) {
            slotWeight[i] = slotMultiplicity[i] * Math.exp(a[slotExpert[i]] - max);
            sum += slotWeight[i];
        }
        for (int i = from; i < to; i++) {
            slotWeight[i] /= sum;
        }
    }
}
