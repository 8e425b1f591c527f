package io.moestream.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code token-reroute} with {@code mode greedy} (2.4), run after {@code token-drop}: dropped
 * slots, best score first, move to the token's best expert that still has room. One pass, so it
 * never creates new overflow.
 */
final class GreedyReroute implements RoutingStage {

    @Override
    public void apply(RoutingStep step, Assignment assignment) {
        List<int[]> dropped = new ArrayList<>();
        for (int t = 0; t < step.tokens; t++) {
            for (int j = 0; j < step.topK; j++) {
                int e = step.choice(t, j);
                if (!assignment.keepsPrimary(t, e)) {
                    dropped.add(new int[] {t, e});
                }
            }
        }
        // Stable sort: equal scores stay in token order, as the spec's tie-break asks.
        dropped.sort(Comparator.comparingDouble((int[] slot) -> step.score(slot[0], slot[1])).reversed());
        for (int[] slot : dropped) {
            int t = slot[0];
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
