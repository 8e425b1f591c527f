package io.moestream.routing;

/** {@code dropless} (2.1): every top-k slot is kept. */
final class KeepTopK implements RoutingStage {

    @Override
    public void apply(RoutingStep step, Assignment assignment) {
        for (int t = 0; t < step.tokens; t++) {
            for (int j = 0; j < step.topK; j++) {
                assignment.keep(t, step.choice(t, j), SlotKind.PRIMARY);
            }
        }
    }
}
