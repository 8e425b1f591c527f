package io.moestream.routing;

/**
 * {@code token-reroute} with {@code mode rounds} (2.4): all current selections compete for
 * capacity by {@code S}; dropped slots get {@code S = -1} and their tokens re-select the top-k of
 * what is left, for a fixed number of rounds.
 */
final class RerouteRounds implements RoutingStage {

    private final int rounds;

    RerouteRounds(int rounds) {
        this.rounds = rounds;
    }

    @Override
    public void apply(RoutingStep step, Assignment assignment) {
        int experts = step.experts;
        int k = step.topK;
        double[] s = step.scores.clone();
        int[] selection = new int[step.tokens * k];
        int[] selected = new int[step.tokens];
        for (int t = 0; t < step.tokens; t++) {
            for (int j = 0; j < k; j++) {
                selection[t * k + j] = step.choice(t, j);
            }
            selected[t] = k;
        }
        SlotList candidates;
        boolean[] kept;
        for (int round = 1; ; round++) {
            candidates = new SlotList(step.tokens * k);
            for (int t = 0; t < step.tokens; t++) {
                for (int j = 0; j < selected[t]; j++) {
                    candidates.add(t, selection[t * k + j]);
                }
            }
            kept = KeepBest.select(step, candidates, (t, e) -> s[t * experts + e], step.budget);
            if (round == rounds) {
                break;
            }
            boolean[] reselect = new boolean[step.tokens];
            for (int i = 0; i < kept.length; i++) {
                if (!kept[i]) {
                    s[candidates.token(i) * experts + candidates.expert(i)] = -1;
                    reselect[candidates.token(i)] = true;
                }
            }
            // The survivors still hold the highest S of their row, so the new top-k keeps them
            // and adds the next-best experts.
            for (int t = 0; t < step.tokens; t++) {
                if (reselect[t]) {
                    selected[t] = TopK.selectRow(s, t * experts, experts, k, selection, t * k, 0.0);
                }
            }
        }
        for (int i = 0; i < kept.length; i++) {
            if (kept[i]) {
                int t = candidates.token(i);
                int e = candidates.expert(i);
                assignment.keep(t, e, step.inTopK(t, e) ? SlotKind.PRIMARY : SlotKind.REROUTED);
            }
        }
    }
}
