package io.moestream.routing;

/**
 * {@code token-reroute} with {@code mode greedy} (2.4), run after {@code token-drop}: dropped
 * slots, best score first, move to the token's best expert that still has room. One pass, so it
 * never creates new overflow.
 */
final class GreedyReroute implements RoutingStage {

    @Override
    public void apply(RoutingStep step, Assignment assignment) {
        int[] token = new int[step.tokens * step.topK];
        double[] score = new double[token.length];
        int dropped = 0;
        for (int t = 0; t < step.tokens; t++) {
            for (int j = 0; j < step.topK; j++) {
                int e = step.choice(t, j);
                if (!assignment.keepsPrimary(t, e)) {
                    token[dropped] = t;
                    score[dropped++] = step.score(t, e);
                }
            }
        }
        // Listed by token, so the stable order leaves equal scores in token order, as the spec's tie-break asks.
        for (int slot : StableOrder.byDescendingKey(score, dropped)) {
            int t = token[slot];
            int best = -1;
            for (int e = 0; e < step.experts; e++) {
                if (!assignment.has(t, e) && assignment.hasRoom(e)
                        && (best < 0 || step.score(t, e) > step.score(t, best))) {
                    best = e;
                }
            }
            if (best >= 0) {
                assignment.keep(t, best, SlotKind.REROUTED);
            }
        }
    }
}
