package io.moestream.wire;

import java.util.List;

/**
 * One step: the tokens of one or more requests, packed by the gateway on one source rank (topic
 * {@code tokens}, keyed by batch id). Capacity applies per batch, as the spec applies it per step.
 *
 * @param states hidden states {@code [tokens][hidden]} row-major
 */
public record TokenBatch(String batchId, int sourceRank, long createdAtMillis, List<RequestSpan> requests, int hidden,
                         float[] states) {

    public TokenBatch {
        requests = List.copyOf(requests);
        if (hidden < 1 || states.length == 0 || states.length % hidden != 0) {
            throw new IllegalArgumentException("batch " + batchId + ": " + states.length
                    + " hidden-state values are not a whole number of rows of " + hidden);
        }
    }

    public int tokens() {
        return states.length / hidden;
    }

    public byte[] toBytes(WireType wireType) {
        WireWriter out = RecordType.TOKEN_BATCH.start(64 + states.length * wireType.bytes());
        out.putString(batchId);
        out.putInt(sourceRank);
        out.putLong(createdAtMillis);
        out.putInt(hidden);
        out.putStates(wireType, states);
        RequestSpan.write(out, requests);
        return out.toBytes();
    }

    public static TokenBatch fromBytes(byte[] bytes) {
        WireReader in = RecordType.TOKEN_BATCH.open(bytes);
        String batchId = in.getString();
        int sourceRank = in.getInt();
        long createdAt = in.getLong();
        int hidden = in.getInt();
        float[] states = in.getStates();
        if (hidden < 1 || states.length == 0 || states.length % hidden != 0) {
            throw in.error(states.length + " hidden-state values are not a whole number of rows of " + hidden);
        }
        List<RequestSpan> requests = RequestSpan.read(in, states.length / hidden);
        in.expectEnd();
        return new TokenBatch(batchId, sourceRank, createdAt, requests, hidden, states);
    }
}
