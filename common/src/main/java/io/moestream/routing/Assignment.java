package io.moestream.routing;

/**
 * The kept slots of a step while the policy stages work on it: at most one slot per (token,
 * expert), with its kind, and the load of every capacity group kept current.
 */
final class Assignment {

    private static final int PRIMARY_CODE = SlotKind.PRIMARY.ordinal() + 1;
    private static final int RECTIFIED_CODE = SlotKind.RECTIFIED.ordinal() + 1;

    private final RoutingStep step;
    /** {@code kind[t * experts + e]}: 0 for no slot, else the kind's ordinal + 1. */
    private final byte[] kind;
    /**
     * The same slots as bits, {@code words} longs per token with bit {@code e % 64} of word
     * {@code e / 64} set for expert {@code e}: the result is built by visiting the set bits, which
     * costs the token's slots rather than its {@code E} experts.
     */
    private final long[] present;
    private final int words;
    private final int[] multiplicity;
    /** Per token, its kept primary slots. */
    private final int[] primaries;
    private final int[] groupLoad;
    private int slots;

    Assignment(RoutingStep step) {
        this.step = step;
        this.kind = new byte[step.tokens * step.experts];
        this.words = (step.experts + 63) >>> 6;
        this.present = new long[step.tokens * words];
        this.multiplicity = new int[step.tokens];
        this.primaries = new int[step.tokens];
        this.groupLoad = new int[step.budget.length];
    }

    void keep(int token, int expert, SlotKind slotKind) {
        int at = token * step.experts + expert;
        int old = kind[at];
        int code = slotKind.ordinal() + 1;
        if (old == 0) {
            present[token * words + (expert >>> 6)] |= 1L << expert;
            groupLoad[step.groupOf[expert]]++;
            slots++;
        }
        primaries[token] += (code == PRIMARY_CODE ? 1 : 0) - (old == PRIMARY_CODE ? 1 : 0);
        kind[at] = (byte) code;
    }

    /** Keeps the token's Intra-GPU Rectification slot, standing for {@code dropped} dropped slots. */
    void keepRectified(int token, int expert, int dropped) {
        keep(token, expert, SlotKind.RECTIFIED);
        multiplicity[token] = dropped;
    }

    void remove(int token, int expert) {
        int at = token * step.experts + expert;
        if (kind[at] != 0) {
            present[token * words + (expert >>> 6)] &= ~(1L << expert);
            groupLoad[step.groupOf[expert]]--;
            slots--;
            primaries[token] -= kind[at] == PRIMARY_CODE ? 1 : 0;
            kind[at] = 0;
        }
    }

    boolean has(int token, int expert) {
        return kind[token * step.experts + expert] != 0;
    }

    /** The kept slots of the step. */
    int slots() {
        return slots;
    }

    /**
     * Writes the token's slots, by expert id ascending, into the arrays from index {@code at}:
     * expert, kind ordinal and multiplicity.
     *
     * @return the index after the last slot written
     */
    int copySlots(int token, int[] slotExpert, byte[] slotKind, int[] slotMultiplicity, int at) {
        int base = token * step.experts;
        for (int w = 0; w < words; w++) {
            for (long bits = present[token * words + w]; bits != 0; bits &= bits - 1) {
                int e = (w << 6) + Long.numberOfTrailingZeros(bits);
                int code = kind[base + e];
                slotExpert[at] = e;
                slotKind[at] = (byte) (code - 1);
                slotMultiplicity[at] = code == RECTIFIED_CODE ? multiplicity[token] : 1;
                at++;
            }
        }
        return at;
    }

    /** Whether the token keeps its top-k expert as a primary slot. */
    boolean keepsPrimary(int token, int expert) {
        return kind[token * step.experts + expert] == PRIMARY_CODE;
    }

    boolean hasRoom(int expert) {
        return vacancy(step.groupOf[expert]) > 0;
    }

    /** {@code max(0, budget - load)} of a capacity group. */
    int vacancy(int group) {
        return Math.max(0, step.budget[group] - groupLoad[group]);
    }

    int primaryCount(int token) {
        return primaries[token];
    }
}
