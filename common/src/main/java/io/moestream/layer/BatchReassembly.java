package io.moestream.layer;

import io.moestream.routing.SlotKind;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.RoutingManifest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The combine step of one batch when its expert outputs arrive separately, in any order: the
 * pipeline's reassembly. It adds the rows in the order {@link MoeLayer#forward} does (routed experts
 * ascending, each expert's tokens ascending, then the shared experts), so that a complete batch
 * gives the in-process layer's output bit for bit. An expert that never answers can be given up:
 * its slots then count as dropped, exactly as if the router had dropped them.
 */
public final class BatchReassembly {

    private final RoutingManifest manifest;
    private final int hidden;
    /** Per expert that owes rows, its tokens and their slots in the manifest, in token order. */
    private final Map<Integer, int[]> expectedTokens = new TreeMap<>();
    private final Map<Integer, int[]> expectedSlots = new TreeMap<>();
    private final Map<Integer, ExpertRows> received = new TreeMap<>();

    /** @param hidden {@code d}: every expert's rows must have it */
    public BatchReassembly(RoutingManifest manifest, int hidden) {
        if (hidden < 1) {
            throw new IllegalArgumentException("hidden size must be >= 1, got " + hidden);
        }
        this.manifest = manifest;
        this.hidden = hidden;
        Map<Integer, List<int[]>> slotsByExpert = new TreeMap<>();
        for (int t = 0; t < manifest.tokens(); t++) {
            for (int slot = manifest.slotStart()[t]; slot < manifest.slotStart()[t + 1]; slot++) {
                slotsByExpert.computeIfAbsent(manifest.slotExpert()[slot], e -> new ArrayList<>())
                        .add(new int[] {t, slot});
            }
        }
        slotsByExpert.forEach((expert, pairs) -> {
            expectedTokens.put(expert, pairs.stream().mapToInt(p -> p[0]).toArray());
            expectedSlots.put(expert, pairs.stream().mapToInt(p -> p[1]).toArray());
        });
        int[] everyToken = new int[manifest.tokens()];
        Arrays.setAll(everyToken, t -> t);
        for (int s = 0; s < manifest.sharedExperts(); s++) {
            expectedTokens.put(ExpertRows.sharedExpertId(s), everyToken);
        }
    }

    public RoutingManifest manifest() {
        return manifest;
    }

    public int hidden() {
        return hidden;
    }

    /**
     * Takes one expert's outputs for this batch.
     *
     * @return {@code false} when this expert's rows were already taken: a redelivery, ignored
     * @throws IllegalArgumentException when the rows do not belong here (another batch, an expert
     *         the manifest does not wait for, other tokens, another hidden size), naming what differs
     */
    public boolean accept(ExpertRows rows) {
        if (!rows.batchId().equals(manifest.batchId())) {
            throw new IllegalArgumentException("rows of batch " + rows.batchId() + " offered to batch "
                    + manifest.batchId());
        }
        int[] tokens = expectedTokens.get(rows.expert());
        if (tokens == null) {
            throw new IllegalArgumentException("batch " + manifest.batchId() + ": " + expertName(rows.expert())
                    + " has no slot in the manifest");
        }
        if (rows.hidden() != hidden) {
            throw new IllegalArgumentException("batch " + manifest.batchId() + ": " + expertName(rows.expert())
                    + " sent rows of hidden size " + rows.hidden() + ", expected " + hidden);
        }
        if (!Arrays.equals(rows.tokens(), tokens)) {
            throw new IllegalArgumentException("batch " + manifest.batchId() + ": " + expertName(rows.expert())
                    + " sent rows for " + rows.tokens().length + " tokens that are not the " + tokens.length
                    + " tokens routed to it");
        }
        return received.putIfAbsent(rows.expert(), rows) == null;
    }

    public boolean isComplete() {
        return received.size() == expectedTokens.size();
    }

    /** The experts whose rows have not arrived, ascending (shared experts, negative, first). */
    public int[] missingExperts() {
        return expectedTokens.keySet().stream().filter(e -> !received.containsKey(e)).mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * The layer output of the complete batch, {@code [tokens][hidden]} row-major.
     *
     * @throws IllegalStateException while experts are missing; see {@link #combinePartial()}
     */
    public float[] combine() {
        if (!isComplete()) {
            throw new IllegalStateException("batch " + manifest.batchId() + " still misses experts "
                    + describe(missingExperts()));
        }
        return combinePartial();
    }

    /** The layer output with the missing experts' slots treated as dropped (they add nothing). */
    public float[] combinePartial() {
        float[] out = new float[manifest.tokens() * hidden];
        for (Map.Entry<Integer, int[]> expert : expectedSlots.entrySet()) {
            ExpertRows rows = received.get(expert.getKey());
            if (rows == null) {
                continue;
            }
            int[] tokens = expectedTokens.get(expert.getKey());
            int[] slots = expert.getValue();
            for (int i = 0; i < tokens.length; i++) {
                Combine.addScaled(out, tokens[i] * hidden, rows.rows(), i * hidden, hidden,
                        manifest.slotWeight()[slots[i]]);
            }
        }
        for (int s = 0; s < manifest.sharedExperts(); s++) {
            ExpertRows rows = received.get(ExpertRows.sharedExpertId(s));
            if (rows == null) {
                continue;
            }
            for (int t = 0; t < manifest.tokens(); t++) {
                Combine.addScaled(out, t * hidden, rows.rows(), t * hidden, hidden, manifest.sharedScale()[t]);
            }
        }
        return out;
    }

    /**
     * Per request of the batch, in the manifest's order, the slot counts of its tokens here; slots of
     * missing experts count as dropped.
     */
    public Map<String, Counts> countsByRequest() {
        Map<String, Counts> counts = new LinkedHashMap<>();
        for (RequestSpan span : manifest.requests()) {
            counts.merge(span.requestId(), counts(span), Counts::plus);
        }
        return counts;
    }

    /** The slot counts of one request span's tokens; slots of missing experts count as dropped. */
    public Counts counts(RequestSpan span) {
        Counts sum = Counts.NONE;
        for (int t = span.firstToken(); t < span.firstToken() + span.tokenCount(); t++) {
            sum = sum.plus(countsOf(t));
        }
        return sum;
    }

    private Counts countsOf(int token) {
        int kept = 0;
        int dropped = manifest.droppedCount()[token];
        int[] byKind = new int[SlotKind.values().length];
        for (int slot = manifest.slotStart()[token]; slot < manifest.slotStart()[token + 1]; slot++) {
            if (received.containsKey(manifest.slotExpert()[slot])) {
                kept++;
                byKind[manifest.slotKind()[slot]]++;
            } else {
                dropped++;
            }
        }
        return new Counts(kept, dropped, byKind[SlotKind.REROUTED.ordinal()], byKind[SlotKind.EXPANDED.ordinal()],
                byKind[SlotKind.RECTIFIED.ordinal()], byKind[SlotKind.FILLED.ordinal()]);
    }

    /** {@code "expert 3"}, or {@code "shared expert 0"} for a shared one: how error messages name an expert. */
    public static String expertName(int expert) {
        return expert >= 0 ? "expert " + expert : "shared expert " + (-1 - expert);
    }

    /** {@code "3, 5, shared-0"}: experts as a reason message lists them. */
    public static String describe(int[] experts) {
        List<String> names = new ArrayList<>();
        for (int e : experts) {
            names.add(e >= 0 ? Integer.toString(e) : "shared-" + (-1 - e));
        }
        return String.join(", ", names);
    }

    /**
     * Slot counts as the result JSON reports them ({@code RoutingStats}' meaning): {@code kept} is
     * every kept slot of any kind, the kinds other than primary are counted again on their own.
     */
    public record Counts(int kept, int dropped, int rerouted, int expanded, int rectified, int filled) {

        public static final Counts NONE = new Counts(0, 0, 0, 0, 0, 0);

        public Counts plus(Counts o) {
            return new Counts(kept + o.kept, dropped + o.dropped, rerouted + o.rerouted, expanded + o.expanded,
                    rectified + o.rectified, filled + o.filled);
        }
    }
}
