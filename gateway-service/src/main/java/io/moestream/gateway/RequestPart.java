package io.moestream.gateway;

import io.moestream.layer.BatchReassembly.Counts;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A record of the gateway's internal {@code gateway.requests} topic, keyed by request id, so that one
 * reassembly task sees everything about a request: its registration from the gateway that took it,
 * and one piece of outputs per batch its tokens were in, from the task that completed the batch.
 */
public sealed interface RequestPart {

    byte REGISTRATION = 1;
    byte PIECE = 2;

    String requestId();

    byte[] toBytes();

    /** @throws IllegalArgumentException for bytes that are not a request part */
    static RequestPart fromBytes(byte[] bytes) {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            RequestPart part = switch (in.get()) {
                case REGISTRATION -> Registration.read(in);
                case PIECE -> Piece.read(in);
                default -> throw new IllegalArgumentException("unknown request part type " + bytes[0]);
            };
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " unexpected trailing bytes");
            }
            return part;
        } catch (BufferUnderflowException | NullPointerException e) {
            throw new IllegalArgumentException("truncated request part");
        }
    }

    /**
     * The request as taken: what reassembly cannot learn from the batches.
     *
     * @param attempt the batch id prefix of the gateway that took it ({@link TokenBatcher#attemptOf}): the
     *        batches of this copy of the request, should another gateway take the same prompt again
     */
    record Registration(String requestId, long acceptedAtMillis, boolean returnOutputs, int tokens, int hidden,
                        String attempt) implements RequestPart {

        @Override
        public byte[] toBytes() {
            byte[] id = utf8(requestId);
            byte[] taker = utf8(attempt);
            return ByteBuffer.allocate(1 + 4 + id.length + 8 + 1 + 8 + 4 + taker.length).order(ByteOrder.LITTLE_ENDIAN)
                    .put(REGISTRATION).putInt(id.length).put(id).putLong(acceptedAtMillis)
                    .put((byte) (returnOutputs ? 1 : 0)).putInt(tokens).putInt(hidden)
                    .putInt(taker.length).put(taker).array();
        }

        /** A registration written before attempts were kept reads back with an empty one. */
        static Registration read(ByteBuffer in) {
            return new Registration(string(in), in.getLong(), in.get() != 0, in.getInt(), in.getInt(),
                    in.hasRemaining() ? string(in) : "");
        }
    }

    /**
     * The outputs of request tokens {@code requestOffset ..< requestOffset + tokenCount} from one batch.
     *
     * @param degradedReason why some experts' outputs are missing from these rows; empty when none are
     * @param missingExperts the experts whose outputs are missing from these rows, ascending; empty when none are
     * @param unavailableSlots the slots of these tokens that the router moved off experts without a consumer
     * @param rows {@code [tokenCount][hidden]}
     */
    record Piece(String requestId, String batchId, int requestOffset, int tokenCount, int requestTokens, int hidden,
                 String policy, double capacityFactor, Counts counts, String degradedReason, int[] missingExperts,
                 int unavailableSlots, float[] rows) implements RequestPart {

        @Override
        public byte[] toBytes() {
            byte[] id = utf8(requestId);
            byte[] batch = utf8(batchId);
            byte[] policyBytes = utf8(policy);
            byte[] reason = utf8(degradedReason);
            ByteBuffer out = ByteBuffer.allocate(1 + 16 + id.length + batch.length + policyBytes.length
                    + reason.length + 16 + 8 + 24 + 4 + rows.length * 4 + 4 + missingExperts.length * 4 + 4)
                    .order(ByteOrder.LITTLE_ENDIAN);
            out.put(PIECE).putInt(id.length).put(id).putInt(batch.length).put(batch)
                    .putInt(requestOffset).putInt(tokenCount).putInt(requestTokens).putInt(hidden)
                    .putInt(policyBytes.length).put(policyBytes).putDouble(capacityFactor)
                    .putInt(counts.kept()).putInt(counts.dropped()).putInt(counts.rerouted())
                    .putInt(counts.expanded()).putInt(counts.rectified()).putInt(counts.filled())
                    .putInt(reason.length).put(reason).putInt(rows.length);
            out.asFloatBuffer().put(rows);
            out.position(out.position() + rows.length * 4);
            // Last, so that a piece written before missing experts were named reads back, with none.
            out.putInt(missingExperts.length);
            for (int expert : missingExperts) {
                out.putInt(expert);
            }
            return out.putInt(unavailableSlots).array();
        }

        static Piece read(ByteBuffer in) {
            String id = string(in);
            String batch = string(in);
            int offset = in.getInt();
            int count = in.getInt();
            int total = in.getInt();
            int hidden = in.getInt();
            String policy = string(in);
            double capacityFactor = in.getDouble();
            Counts counts = new Counts(in.getInt(), in.getInt(), in.getInt(), in.getInt(), in.getInt(), in.getInt());
            String reason = string(in);
            int values = in.getInt();
            if (values < 0 || values > in.remaining() / 4) {
                throw new IllegalArgumentException("truncated request part");
            }
            float[] rows = new float[values];
            in.asFloatBuffer().get(rows);
            in.position(in.position() + rows.length * 4);
            int[] missing = new int[in.hasRemaining() ? in.getInt() : 0];
            if (missing.length > in.remaining() / 4) {
                throw new IllegalArgumentException("truncated request part");
            }
            for (int i = 0; i < missing.length; i++) {
                missing[i] = in.getInt();
            }
            int unavailable = in.hasRemaining() ? in.getInt() : 0;
            if (offset < 0 || count < 1 || offset + count > total || hidden < 1 || rows.length != count * hidden) {
                throw new IllegalArgumentException("inconsistent piece of request " + id + " from batch " + batch);
            }
            return new Piece(id, batch, offset, count, total, hidden, policy, capacityFactor, counts, reason, missing,
                    unavailable, rows);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("truncated request part");
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
