package io.moestream.routing;

/**
 * The kept slots of a step while the policy stages work on it: at most one slot per (token,
 * expert), with its kind, and the load of every capacity group kept current.
 */
final class Assignment {

    private static final SlotKind[] KINDS = SlotKind.values();

    private final RoutingStep step;
    /** {@code kind[t * experts + e]}: 0 for no slot, else the kind's ordinal + 1. */
    private final byte[] kind;
    private final int[] multiplicity;
    private final int[] groupLoad;

    Assignment(RoutingStep step) {
        this.step = step;
        this.kind = new byte[step.tokens * step.experts];
        this.multiplicity = new int[step.tokens];
        this.groupLoad = new int[step.budget.length];
    }

    void keep(int token, int expert, SlotKind slotKind) {
        int at = token * step.experts + expert;
        if (kind[at] == 0) {
            groupLoad[step.groupOf[expert]]++;
        }
        kind[at] = (byte) (slotKind.ordinal() + 1);
    }

    /** Keeps the token's Intra-GPU Rectification slot, standing for {@code dropped} dropped slots. */
    void keepRectified(int token, int expert, int dropped) {
        keep(token, expert, SlotKind.RECTIFIED);
        multiplicity[token] = dropped;
    }

    void remove(int token, int expert) {
        int at = token * step.experts + expert;
        if (kind[at] != 0) {
            groupLoad[step.groupOf[expert]]--;
            kind[at] = 0;
        }
    }

    boolean has(int token, int expert) {
        return kind[token * step.experts + expert] != 0;
    }

    /** The slot's kind, or {@code null} when the token has no slot on the expert. */
    SlotKind kind(int token, int expert) {
        int k = kind[token * step.experts + expert];
        return k == 0 ? null : KINDS[k - 1];
    }

    /** The multiplicity of a kept slot: the dropped count for a rectified slot, else 1. */
    int multiplicity(int token, int expert) {
        return kind(token, expert) == SlotKind.RECTIFIED ? multiplicity[token] : 1;
    }

    boolean hasRoom(int expert) {
        return vacancy(step.groupOf[expert]) > 0;
    }

    /** {@code max(0, budget - load)} of a capacity group. */
    int vacancy(int group) {
        return Math.max(0, step.budget[group] - groupLoad[group]);
    }

    int primaryCount(int token) {
        int count = 0;
        for (int j = 0; j < step.topK; j++) {
            if (kind(token, step.choice(token, j)) == SlotKind.PRIMARY) {
                count++;
            }
        }
        return count;
    }
}
