package io.moestream.wire;

/**
 * Rows of one batch for one expert of one MoE layer: the dispatch to the expert (topic
 * {@code expert.<e>}, one topic per expert for every layer) and the expert's outputs back (topic
 * {@code expert-outputs} for the single-layer pipeline, {@code layer-outputs} for a dense worker),
 * keyed by batch id. Shared experts, which every token visits, carry negative ids: shared expert
 * {@code s} is {@code -1 - s}.
 *
 * @param layer the decoder layer index of the MoE layer whose expert computes the rows
 * @param tokens the rows' token indices within the batch, ascending
 * @param rows {@code [tokens.length][hidden]} row-major: hidden states in a dispatch, outputs back
 * @param computeNanos the expert's busy time for these rows (0 in a dispatch)
 */
public record ExpertRows(String batchId, int layer, int expert, int[] tokens, int hidden, float[] rows, long computeNanos)
        implements BatchPart {

    public ExpertRows {
        if (rows.length != (long) tokens.length * hidden) {
            throw new IllegalArgumentException("batch " + batchId + " layer " + layer + " expert " + expert + ": " + rows.length
                    + " values for " + tokens.length + " rows of " + hidden);
        }
    }

    public static int sharedExpertId(int shared) {
        return -1 - shared;
    }

    public byte[] toBytes(WireType wireType) {
        WireWriter out = RecordType.EXPERT_ROWS.start(64 + tokens.length * 4 + rows.length * wireType.bytes());
        out.putString(batchId);
        out.putInt(layer);
        out.putInt(expert);
        out.putInts(tokens);
        out.putInt(hidden);
        out.putStates(wireType, rows);
        out.putLong(computeNanos);
        return out.toBytes();
    }

    public static ExpertRows fromBytes(byte[] bytes) {
        WireReader in = RecordType.EXPERT_ROWS.open(bytes);
        String batchId = in.getString();
        int layer = in.getInt();
        int expert = in.getInt();
        int[] tokens = in.getInts();
        int hidden = in.getInt();
        float[] rows = in.getStates();
        long computeNanos = in.getLong();
        in.expectEnd();
        if (layer < 0) {
            throw in.error("layer " + layer + ", expected a decoder layer index >= 0");
        }
        if (hidden < 1 || rows.length != (long) tokens.length * hidden) {
            throw in.error(rows.length + " values for " + tokens.length + " rows of " + hidden);
        }
        return new ExpertRows(batchId, layer, expert, tokens, hidden, rows, computeNanos);
    }
}
