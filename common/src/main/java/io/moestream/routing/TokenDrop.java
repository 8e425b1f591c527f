package io.moestream.routing;

import io.moestream.routing.Options.Metric;

/** {@code token-drop} (2.3): every overloaded capacity group keeps its best top-k slots by the metric. */
final class TokenDrop implements RoutingStage {

    private final Metric metric;

    TokenDrop(Metric metric) {
        this.metric = metric;
    }

    @Override
    public void apply(RoutingStep step, Assignment assignment) {
        SlotList candidates = new SlotList(step.tokens * step.topK);
        for (int t = 0; t < step.tokens; t++) {
            for (int j = 0; j < step.topK; j++) {
                candidates.add(t, step.choice(t, j));
            }
        }
        boolean[] kept = KeepBest.select(step, candidates, key(step), step.budget);
        for (int i = 0; i < kept.length; i++) {
            if (kept[i]) {
                assignment.keep(candidates.token(i), candidates.expert(i), SlotKind.PRIMARY);
            }
        }
    }

    private SlotKey key(RoutingStep step) {
        return switch (metric) {
            case SCORE -> step::score;
            case ORDER -> (token, expert) -> -token;
            case REVERSE -> (token, expert) -> token;
            case RANDOM -> randomKey(step.config.seed(), step.experts);
        };
    }

    /**
     * A seeded random priority per (token, expert): a SplitMix64 hash rather than a stream of draws,
     * so that the choice of a slot never depends on the order in which slots are visited.
     */
    private static SlotKey randomKey(long seed, int experts) {
        return (token, expert) -> {
            long z = seed + 0x9E3779B97F4A7C15L * (1 + (long) token * experts + expert);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            return (z >>> 11) * 0x1.0p-53;
        };
    }
}
