package io.moestream.routing;

import io.moestream.routing.Options.ScoreFunction;
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
    private final StatsCollector stats;
    private final boolean rectifies;
    private final Weights weights;
    private final boolean softmaxScores;

    private ResultAssembler(RoutingStep step, Assignment assignment) {
        this.step = step;
        this.assignment = assignment;
        this.stats = new StatsCollector(step);
        this.rectifies = step.config.policy().rectifies();
        this.weights = step.config.weights();
        this.softmaxScores = step.config.scoreFunction() == ScoreFunction.SOFTMAX;
        int slots = assignment.slots();
        slotStart = new int[step.tokens + 1];
        slotExpert = new int[slots];
        slotKind = new byte[slots];
        slotWeight = new double[slots];
        slotMultiplicity = new int[slots];
    }

    static RoutingResult assemble(RoutingStep step, Assignment assignment) {
        return new ResultAssembler(step, assignment).build();
    }

    private RoutingResult build() {
        int[] droppedStart = new int[step.tokens + 1];
        int[] droppedExpert = new int[step.tokens * step.topK];
        int dropped = 0;
        for (int t = 0; t < step.tokens; t++) {
            int from = slotStart[t];
            int to = assignment.copySlots(t, slotExpert, slotKind, slotMultiplicity, from);
            slotStart[t + 1] = to;
            for (int i = from; i < to; i++) {
                stats.slot(t, slotExpert[i], slotKind[i]);
            }
            weigh(t);
            for (int j = 0; j < step.topK; j++) {
                int e = step.choice(t, j);
                stats.choice(t, e);
                // Dropped means the expert keeps the token in no slot (section 1): an IR slot rectified
                // back onto it (ir-exclude-dropping-expert false) keeps it. Written always, kept by
                // advancing: drops are too irregular for a branch to predict.
                droppedExpert[dropped] = e;
                dropped += assignment.has(t, e) ? 0 : 1;
            }
            droppedStart[t + 1] = dropped;
        }
        return new RoutingResult(step.sourceRank, slotStart, slotExpert, slotKind, slotWeight, slotMultiplicity,
                droppedStart, Arrays.copyOf(droppedExpert, dropped), stats.collect(slotStart, dropped));
    }

    /** Fills the combine weights of token {@code t}'s slots (section 1 "Combine weights" and 2.6 step 4). */
    private void weigh(int t) {
        int from = slotStart[t];
        int to = slotStart[t + 1];
        if (rectifies) {
            weighRectified(t, from, to);
            return;
        }
        if (weights == Weights.RAW) {
            for (int i = from; i < to; i++) {
                slotWeight[i] = step.score(t, slotExpert[i]);
            }
            return;
        }
        double denominator = 0;
        if (weights == Weights.TOPK) {
            for (int j = 0; j < step.topK; j++) {
                denominator += step.score(t, step.choice(t, j));
            }
        } else {
            for (int i = from; i < to; i++) {
                denominator += step.score(t, slotExpert[i]);
            }
        }
        for (int i = from; i < to; i++) {
            slotWeight[i] = denominator > 0 ? step.score(t, slotExpert[i]) / denominator : 0;
        }
    }

    /**
     * Softmax of the logits over the final slots, each counted with its multiplicity. Softmax scores
     * are already {@code exp(a)} over one denominator per row, so renormalising them over the slots
     * gives that softmax without an exponential per slot; sigmoid scores are not, and need them.
     */
    private void weighRectified(int t, int from, int to) {
        double sum = 0;
        if (softmaxScores) {
            for (int i = from; i < to; i++) {
                slotWeight[i] = slotMultiplicity[i] * step.score(t, slotExpert[i]);
                sum += slotWeight[i];
            }
        }
        // The scores of slots far below the row's best logit, the very slots rectification adds, can
        // underflow to zero; exponentials taken from the slots' own maximum cannot.
        if (!(sum >= Double.MIN_NORMAL)) {
            double[] a = step.logits[t];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = from; i < to; i++) {
                max = Math.max(max, a[slotExpert[i]]);
            }
            sum = 0;
            for (int i = from; i < to; i++) {
                slotWeight[i] = slotMultiplicity[i] * Math.exp(a[slotExpert[i]] - max);
                sum += slotWeight[i];
            }
        }
        for (int i = from; i < to; i++) {
            slotWeight[i] /= sum;
        }
    }
}
