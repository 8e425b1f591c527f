package io.moestream.wire;

import io.moestream.routing.RoutingResult;
import io.moestream.routing.Slot;
import io.moestream.routing.SlotKind;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * What reassembly needs to combine one batch, written by the router next to its dispatches
 * (topic {@code expert-outputs}, keyed by batch id): per token its kept slots with their combine
 * weights, how many of its top-k slots were dropped, and the shared experts' per-token scale.
 * Reassembly never recomputes routing; it waits for the rows of {@link #expertsWithRows()}.
 *
 * @param capacityFactor {@code gamma}, NaN when the step ran without capacity
 * @param capacity {@code C}, or -1 without capacity
 * @param slotStart token {@code t}'s slots are {@code slotStart[t] ..< slotStart[t + 1]}
 * @param slotKind {@link SlotKind} ordinals
 * @param sharedScale per token, the factor of the shared experts' output (empty without shared experts)
 */
public record RoutingManifest(String batchId, int sourceRank, long createdAtMillis, List<RequestSpan> requests,
                              int tokens, String policy, double capacityFactor, int capacity, int[] slotStart,
                              int[] slotExpert, int[] slotKind, double[] slotWeight, int[] droppedCount,
                              int sharedExperts, double[] sharedScale)
        implements BatchPart {

    public RoutingManifest {
        requests = List.copyOf(requests);
        if (slotStart.length != tokens + 1 || droppedCount.length != tokens
                || slotExpert.length != slotStart[tokens] || slotKind.length != slotExpert.length
                || slotWeight.length != slotExpert.length
                || sharedScale.length != (sharedExperts > 0 ? tokens : 0)) {
            throw new IllegalArgumentException("batch " + batchId + ": inconsistent manifest arrays for " + tokens
                    + " tokens");
        }
    }

    /** The manifest of a routed batch; {@code sharedScale} is empty when the layer has no shared experts. */
    public static RoutingManifest of(TokenBatch batch, RoutingResult routing, String policy, double capacityFactor,
                                     int sharedExperts, double[] sharedScale) {
        int tokens = routing.tokens();
        int[] start = new int[tokens + 1];
        int[] dropped = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            start[t + 1] = start[t] + routing.kept(t).size();
            dropped[t] = routing.dropped(t).length;
        }
        int[] expert = new int[start[tokens]];
        int[] kind = new int[expert.length];
        double[] weight = new double[expert.length];
        for (int t = 0; t < tokens; t++) {
            int i = start[t];
            for (Slot slot : routing.kept(t)) {
                expert[i] = slot.expert();
                kind[i] = slot.kind().ordinal();
                weight[i++] = slot.weight();
            }
        }
        Integer capacity = routing.capacity();
        return new RoutingManifest(batch.batchId(), batch.sourceRank(), batch.createdAtMillis(), batch.requests(),
                tokens, policy, capacityFactor, capacity == null ? -1 : capacity, start, expert, kind, weight, dropped,
                sharedExperts, sharedScale);
    }

    /** The experts whose rows reassembly waits for, ascending; shared experts have negative ids. */
    public int[] expertsWithRows() {
        TreeSet<Integer> experts = new TreeSet<>();
        for (int e : slotExpert) {
            experts.add(e);
        }
        for (int s = 0; s < sharedExperts; s++) {
            experts.add(ExpertRows.sharedExpertId(s));
        }
        return experts.stream().mapToInt(Integer::intValue).toArray();
    }

    public SlotKind kind(int slot) {
        return SlotKind.values()[slotKind[slot]];
    }

    public byte[] toBytes() {
        WireWriter out = RecordType.ROUTING_MANIFEST.start(128 + tokens * 8 + slotExpert.length * 16);
        out.putString(batchId);
        out.putInt(sourceRank);
        out.putLong(createdAtMillis);
        out.putInt(tokens);
        out.putString(policy);
        out.putDouble(capacityFactor);
        out.putInt(capacity);
        out.putInts(slotStart);
        out.putInts(slotExpert);
        out.putInts(slotKind);
        out.putDoubles(slotWeight);
        out.putInts(droppedCount);
        out.putInt(sharedExperts);
        out.putDoubles(sharedScale);
        RequestSpan.write(out, requests);
        return out.toBytes();
    }

    public static RoutingManifest fromBytes(byte[] bytes) {
        WireReader in = RecordType.ROUTING_MANIFEST.open(bytes);
        String batchId = in.getString();
        int sourceRank = in.getInt();
        long createdAt = in.getLong();
        int tokens = in.getInt();
        String policy = in.getString();
        double capacityFactor = in.getDouble();
        int capacity = in.getInt();
        int[] slotStart = in.getInts();
        int[] slotExpert = in.getInts();
        int[] slotKind = in.getInts();
        double[] slotWeight = in.getDoubles();
        int[] dropped = in.getInts();
        int sharedExperts = in.getInt();
        double[] sharedScale = in.getDoubles();
        List<RequestSpan> requests = RequestSpan.read(in, Math.max(0, tokens));
        in.expectEnd();
        if (tokens < 1 || slotStart.length != tokens + 1 || slotStart[0] != 0 || slotStart[tokens] != slotExpert.length
                || Arrays.stream(slotKind).anyMatch(k -> k < 0 || k >= SlotKind.values().length)) {
            throw in.error("inconsistent slot arrays for " + tokens + " tokens");
        }
        // Reassembly indexes by these and multiplies outputs by these: a forged or corrupt manifest must fail here,
        // not as an index out of bounds or NaN outputs later.
        for (int t = 0; t < tokens; t++) {
            if (slotStart[t + 1] < slotStart[t] || dropped.length > t && dropped[t] < 0) {
                throw in.error("token " + t + " has slots " + slotStart[t] + ".." + slotStart[t + 1] + " and "
                        + (dropped.length > t ? dropped[t] : "no") + " dropped");
            }
        }
        if (sharedExperts < 0) {
            throw in.error(sharedExperts + " shared experts");
        }
        requireFinite(in, "slot weight", slotWeight);
        requireFinite(in, "shared-expert scale", sharedScale);
        try {
            return new RoutingManifest(batchId, sourceRank, createdAt, requests, tokens, policy, capacityFactor,
                    capacity, slotStart, slotExpert, slotKind, slotWeight, dropped, sharedExperts, sharedScale);
        } catch (IllegalArgumentException e) {
            throw in.error(e.getMessage());
        }
    }

    private static void requireFinite(WireReader in, String what, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw in.error(what + " " + i + " is " + values[i] + ", expected a finite number");
            }
        }
    }
}
