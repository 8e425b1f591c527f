package io.moestream.routing;

/**
 * Fill-in Rectification (2.6 step 3): capacity left empty, which a static-shape implementation
 * computes as padding anyway, goes to the tokens whose (k+1)-th choice is that expert.
 */
final class FillInRectification implements RoutingStage {

    @Override
    public void apply(RoutingStep step, Assignment assignment) {
        if (!step.hasCapacity() || step.choicesPerToken == step.topK) {
            return;
        }
        SlotList candidates = new SlotList(step.tokens);
        for (int t = 0; t < step.tokens; t++) {
            int next = step.choice(t, step.topK);
            if (!assignment.has(t, next)) {
                candidates.add(t, next);
            }
        }
        int[] vacancy = new int[step.budget.length];
        for (int g = 0; g < vacancy.length; g++) {
            vacancy[g] = assignment.vacancy(g);
        }
        boolean[] kept = KeepBest.select(step, candidates, step::score, vacancy);
        for (int i = 0; i < kept.length; i++) {
            if (kept[i]) {
                assignment.keep(candidates.token(i), candidates.expert(i), SlotKind.FILLED);
            }
        }
    }
}
