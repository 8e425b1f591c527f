package io.moestream.routing;

import java.util.Arrays;

/**
 * The experts a routing step went without, because no live consumer served them, and per token how many
 * of its top-k slots (by its unmasked logits) they would have taken: the router gives them capacity 0 by
 * masking their logits, so every policy runs as if the model had only the other experts. The single-layer
 * router and the whole model's MoE layers route around them the same way.
 *
 * @param experts the unavailable experts, ascending; empty when the step lost none
 * @param movedSlots per token of the step, its slots moved off those experts
 */
public record AvoidedExperts(int[] experts, int[] movedSlots) {

    public static final AvoidedExperts NONE = new AvoidedExperts(new int[0], new int[0]);

    /** Finite, as the router requires, and far below any gate's logit: exp of it is 0. */
    static final double UNAVAILABLE_LOGIT = -1e30;

    /** Whether a step can go without {@code unavailable}: some are, and at least top-k experts are left. */
    public static boolean possible(int experts, int[] unavailable, int topK) {
        return unavailable.length > 0 && experts - unavailable.length >= topK;
    }

    /** The logits with the unavailable experts' pushed so far down that no policy picks them. */
    public static double[][] masked(double[][] logits, int[] unavailable) {
        double[][] masked = new double[logits.length][];
        for (int t = 0; t < logits.length; t++) {
            masked[t] = logits[t].clone();
            for (int e : unavailable) {
                masked[t][e] = UNAVAILABLE_LOGIT;
            }
        }
        return masked;
    }

    /** Whether {@code expert} is among the top-k of one token's logits. */
    public static boolean inTopK(double[] logits, int expert, int topK) {
        long above = Arrays.stream(logits).filter(a -> a > logits[expert]).count();
        return above < topK;
    }

    /** What routing without {@code unavailable} costs each token of {@code logits} (unmasked). */
    public static AvoidedExperts of(double[][] logits, int[] unavailable, int topK) {
        int[] moved = new int[logits.length];
        for (int t = 0; t < logits.length; t++) {
            for (int e : unavailable) {
                if (inTopK(logits[t], e, topK)) {
                    moved[t]++;
                }
            }
        }
        return new AvoidedExperts(unavailable.clone(), moved);
    }

    public boolean isEmpty() {
        return experts.length == 0;
    }

    /** The slots moved off the unavailable experts over tokens {@code first .. first + count - 1}. */
    public int moved(int first, int count) {
        int moved = 0;
        for (int t = first; t < first + count && t < movedSlots.length; t++) {
            moved += movedSlots[t];
        }
        return moved;
    }
}
