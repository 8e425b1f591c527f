package io.moestream.gateway;

import io.moestream.layer.BatchReassembly.Counts;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One request in reassembly: its registration, once it arrived, and what its batches have returned
 * so far. Kept in the request store between records, hence its byte form.
 *
 * <p>A prompt can be taken twice: a gateway that dies before it commits the offsets of the prompts it took
 * leaves them to its successor, which registers them again and sends their tokens in batches of its own.
 * The state follows one copy, its owner's attempt ({@link TokenBatcher#attemptOf}); pieces of another
 * copy are not added, so a result never mixes two copies' outputs or counts a token twice.
 */
final class RequestState {

    private final long firstSeenMillis;
    /** The attempt whose pieces count: the registration's, or before it the first piece's; empty before both. */
    private String owner = "";
    private boolean registered;
    private long acceptedAtMillis = -1;
    private boolean returnOutputs = true;
    private int tokens;
    private int hidden;
    private int received;
    private Counts counts = Counts.NONE;
    private String policy = "";
    private double capacityFactor = Double.NaN;
    private final Set<String> degradedReasons = new LinkedHashSet<>();
    private final SortedSet<Integer> missingExperts = new TreeSet<>();
    private int unavailableSlots;
    /** {@code [tokens][hidden]}; kept until the registration says the client does not want them. */
    private float[] outputs;

    RequestState(long firstSeenMillis) {
        this.firstSeenMillis = firstSeenMillis;
    }

    /**
     * Takes the registration. One under another attempt than the owner's is the prompt taken again, by a
     * gateway that started after the first taker died: its copy replaces what the first one sent, which may
     * never be complete. The latest registration wins, since a gateway registers a request before it sends
     * any of its tokens, so all of the latest copy's pieces are still to come. A registration without an
     * attempt (written before attempts were kept) leaves the owner as it is.
     */
    void register(RequestPart.Registration registration) {
        if (!registration.attempt().isEmpty() && !registration.attempt().equals(owner)) {
            owner = registration.attempt();
            received = 0;
            counts = Counts.NONE;
            degradedReasons.clear();
            missingExperts.clear();
            unavailableSlots = 0;
            outputs = null;
        }
        registered = true;
        acceptedAtMillis = registration.acceptedAtMillis();
        returnOutputs = registration.returnOutputs();
        tokens = registration.tokens();
        hidden = registration.hidden();
        if (!returnOutputs) {
            outputs = null;
        }
    }

    /** @return whether the piece was added: {@code false} for a piece of another copy than the owner's */
    boolean add(RequestPart.Piece piece) {
        String attempt = TokenBatcher.attemptOf(piece.batchId());
        if (owner.isEmpty()) {
            owner = attempt;
        } else if (!owner.equals(attempt)) {
            return false;
        }
        tokens = piece.requestTokens();
        hidden = piece.hidden();
        received += piece.tokenCount();
        counts = counts.plus(piece.counts());
        policy = piece.policy();
        capacityFactor = piece.capacityFactor();
        if (!piece.degradedReason().isEmpty()) {
            degradedReasons.add(piece.degradedReason());
        }
        for (int expert : piece.missingExperts()) {
            missingExperts.add(expert);
        }
        unavailableSlots += piece.unavailableSlots();
        if (returnOutputs) {
            if (outputs == null) {
                outputs = new float[tokens * hidden];
            }
            System.arraycopy(piece.rows(), 0, outputs, piece.requestOffset() * hidden, piece.rows().length);
        }
        return true;
    }

    boolean isDone() {
        return registered && received >= tokens;
    }

    boolean isRegistered() {
        return registered;
    }

    /** When the request was taken, or when reassembly first heard of it if its registration is missing. */
    long startMillis() {
        return registered ? acceptedAtMillis : firstSeenMillis;
    }

    int tokens() {
        return tokens;
    }

    int hidden() {
        return hidden;
    }

    int received() {
        return received;
    }

    Counts counts() {
        return counts;
    }

    String policy() {
        return policy;
    }

    double capacityFactor() {
        return capacityFactor;
    }

    Set<String> degradedReasons() {
        return degradedReasons;
    }

    /** Slots of the request's tokens that the router moved off experts without a consumer. */
    int unavailableSlots() {
        return unavailableSlots;
    }

    /** The experts whose outputs are missing from some of the request's batches, ascending. */
    SortedSet<Integer> missingExperts() {
        return missingExperts;
    }

    /** The outputs when the client asked for them and all arrived, else {@code null}. */
    float[] outputs() {
        return registered && returnOutputs && received >= tokens ? outputs : null;
    }

    byte[] toBytes() {
        byte[] policyBytes = policy.getBytes(StandardCharsets.UTF_8);
        byte[] reasons = String.join("\n", degradedReasons).getBytes(StandardCharsets.UTF_8);
        byte[] ownerBytes = owner.getBytes(StandardCharsets.UTF_8);
        int values = outputs == null ? -1 : outputs.length;
        ByteBuffer out = ByteBuffer.allocate(8 + 1 + 8 + 1 + 12 + 24 + 4 + policyBytes.length + 8 + 4 + reasons.length
                + 4 + ownerBytes.length + 4 + Math.max(0, values) * 4 + 4 + missingExperts.size() * 4 + 4)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(firstSeenMillis).put((byte) (registered ? 1 : 0)).putLong(acceptedAtMillis)
                .put((byte) (returnOutputs ? 1 : 0)).putInt(tokens).putInt(hidden).putInt(received)
                .putInt(counts.kept()).putInt(counts.dropped()).putInt(counts.rerouted()).putInt(counts.expanded())
                .putInt(counts.rectified()).putInt(counts.filled())
                .putInt(policyBytes.length).put(policyBytes).putDouble(capacityFactor)
                .putInt(reasons.length).put(reasons).putInt(values);
        if (outputs != null) {
            out.asFloatBuffer().put(outputs);
            out.position(out.position() + outputs.length * Float.BYTES);
        }
        // Last, so that a state stored before owners, missing experts and unavailable slots were kept reads back:
        // as owned by its first piece's copy, with none of the others.
        out.putInt(ownerBytes.length).put(ownerBytes).putInt(missingExperts.size());
        missingExperts.forEach(out::putInt);
        return out.putInt(unavailableSlots).array();
    }

    /** {@link #startMillis()} of a stored state, read without decoding its outputs (the timeout scan). */
    static long startMillis(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        return in.get(8) != 0 ? in.getLong(9) : in.getLong(0);
    }

    static RequestState fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        RequestState state = new RequestState(in.getLong());
        state.registered = in.get() != 0;
        state.acceptedAtMillis = in.getLong();
        state.returnOutputs = in.get() != 0;
        state.tokens = in.getInt();
        state.hidden = in.getInt();
        state.received = in.getInt();
        state.counts = new Counts(in.getInt(), in.getInt(), in.getInt(), in.getInt(), in.getInt(), in.getInt());
        state.policy = string(in);
        state.capacityFactor = in.getDouble();
        String reasons = string(in);
        if (!reasons.isEmpty()) {
            state.degradedReasons.addAll(List.of(reasons.split("\n")));
        }
        int values = in.getInt();
        if (values >= 0) {
            state.outputs = new float[values];
            in.asFloatBuffer().get(state.outputs);
            in.position(in.position() + values * Float.BYTES);
        }
        state.owner = in.hasRemaining() ? string(in) : "";
        for (int i = in.hasRemaining() ? in.getInt() : 0; i > 0; i--) {
            state.missingExperts.add(in.getInt());
        }
        state.unavailableSlots = in.hasRemaining() ? in.getInt() : 0;
        return state;
    }

    private static String string(ByteBuffer in) {
        byte[] bytes = new byte[in.getInt()];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
