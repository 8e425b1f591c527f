package io.moestream.routing;

/**
 * {@code expanded-drop} (2.5): a token's candidates are its top-k and every expert on its own
 * rank; each capacity group keeps its best candidates by score, with no priority for the top-k.
 */
final class ExpandedDrop implements RoutingStage {

    private final Integer maxExpertsPerToken;

    ExpandedDrop(Integer maxExpertsPerToken) {
        this.maxExpertsPerToken = maxExpertsPerToken;
    }

    @Override
    public void apply(RoutingStep step, Assignment assignment) {
        int[] local = step.placement.expertsOnShared(step.sourceRank);
        SlotList candidates = new SlotList(step.tokens * (step.topK + local.length));
        for (int t = 0; t < step.tokens; t++) {
            for (int j = 0; j < step.topK; j++) {
                candidates.add(t, step.choice(t, j));
            }
            for (int e : local) {
                if (!step.inTopK(t, e)) {
                    candidates.add(t, e);
                }
            }
        }
        boolean[] kept = KeepBest.select(step, candidates, step::score, step.budget);
        for (int i = 0; i < kept.length; i++) {
            if (kept[i]) {
                int t = candidates.token(i);
                int e = candidates.expert(i);
                assignment.keep(t, e, step.inTopK(t, e) ? SlotKind.PRIMARY : SlotKind.EXPANDED);
            }
        }
        if (maxExpertsPerToken != null) {
            for (int t = 0; t < step.tokens; t++) {
                keepBestOfToken(step, assignment, t, maxExpertsPerToken);
            }
        }
    }

    /** The paper's "w/ max" row: a token keeps only its {@code max} highest-score kept slots. */
    private static void keepBestOfToken(RoutingStep step, Assignment assignment, int token, int max) {
        double[] masked = new double[step.experts];
        for (int e = 0; e < step.experts; e++) {
            masked[e] = assignment.has(token, e) ? step.score(token, e) : -1;
        }
        int[] best = new int[max];
        int count = TopK.selectRow(masked, 0, step.experts, max, best, 0, 0.0);
        boolean[] keep = new boolean[step.experts];
        for (int i = 0; i < count; i++) {
            keep[best[i]] = true;
        }
        for (int e = 0; e < step.experts; e++) {
            if (!keep[e]) {
                assignment.remove(token, e);
            }
        }
    }
}
