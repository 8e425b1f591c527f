package io.moestream.routing;

import io.moestream.routing.Options.IrCapacity;

/**
 * Intra-GPU Rectification (2.6 step 2): a token that lost slots gets one slot, standing for all of
 * them, on the best expert of its own rank, which costs no cross-device traffic.
 */
final class IntraGpuRectification implements RoutingStage {

    private final IrCapacity irCapacity;
    private final boolean excludeDroppingExpert;

    IntraGpuRectification(IrCapacity irCapacity, boolean excludeDroppingExpert) {
        this.irCapacity = irCapacity;
        this.excludeDroppingExpert = excludeDroppingExpert;
    }

    @Override
    public void apply(RoutingStep step, Assignment assignment) {
        int[] local = step.placement.expertsOnShared(step.sourceRank);
        for (int t = 0; t < step.tokens; t++) {
            int dropped = step.topK - assignment.primaryCount(t);
            if (dropped == 0) {
                continue;
            }
            int best = -1;
            double[] a = step.logits[t];
            for (int h : local) {
                if (allowed(step, assignment, t, h) && (best < 0 || a[h] > a[best])) {
                    best = h;
                }
            }
            if (best >= 0) {
                assignment.keepRectified(t, best, dropped);
            }
        }
    }

    /** Kept experts are excluded; a top-k expert that is not kept is one that dropped the token. */
    private boolean allowed(RoutingStep step, Assignment assignment, int token, int expert) {
        return !assignment.has(token, expert)
                && !(excludeDroppingExpert && step.inTopK(token, expert))
                && (irCapacity == IrCapacity.UNBOUNDED || assignment.hasRoom(expert));
    }
}
