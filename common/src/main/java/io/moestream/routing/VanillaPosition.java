package io.moestream.routing;

/**
 * {@code vanilla} with {@code drop-order position} (2.2, GShard / Switch): all first choices in
 * token order claim buffer places, then all second choices, and so on; a full buffer drops.
 */
final class VanillaPosition implements RoutingStage {

    @Override
    public void apply(RoutingStep step, Assignment assignment) {
        for (int j = 0; j < step.topK; j++) {
            for (int t = 0; t < step.tokens; t++) {
                int expert = step.choice(t, j);
                if (assignment.hasRoom(expert)) {
                    assignment.keep(t, expert, SlotKind.PRIMARY);
                }
            }
        }
    }
}
