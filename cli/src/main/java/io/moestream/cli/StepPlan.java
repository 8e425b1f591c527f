package io.moestream.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The steps the gateway's batching makes of prompts that all arrive at once: prompts go round-robin
 * over the source ranks, each rank fills one batch of {@code maxTokens} tokens after another, a
 * prompt longer than the room left continues in the rank's next batch, and what is left at the end
 * goes as a partial batch. The in-process baseline computes these, so that both sides run steps of
 * the same sizes (the gateway's linger can only cut more, smaller steps; the report gives both counts).
 */
final class StepPlan {

    /** One step: {@code tokens} rows of hidden states from {@code sourceRank}. */
    record Step(float[] x, int tokens, int sourceRank) {
    }

    private StepPlan() {
    }

    /** @param prompts each prompt's hidden states, {@code [tokens][hidden]} row-major */
    static List<Step> of(List<float[]> prompts, int hidden, int ranks, int maxTokens) {
        List<List<float[]>> byRank = new ArrayList<>();
        for (int rank = 0; rank < ranks; rank++) {
            byRank.add(new ArrayList<>());
        }
        for (int i = 0; i < prompts.size(); i++) {
            byRank.get(i % ranks).add(prompts.get(i));
        }
        List<Step> steps = new ArrayList<>();
        for (int rank = 0; rank < ranks; rank++) {
            float[] all = concat(byRank.get(rank));
            int tokens = all.length / hidden;
            for (int first = 0; first < tokens; first += maxTokens) {
                int count = Math.min(maxTokens, tokens - first);
                float[] x = new float[count * hidden];
                System.arraycopy(all, first * hidden, x, 0, x.length);
                steps.add(new Step(x, count, rank));
            }
        }
        return steps;
    }

    private static float[] concat(List<float[]> parts) {
        float[] all = new float[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
