package io.moestream.gateway;

import io.moestream.pipeline.UnavailableExperts;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The header the reassembly keeps for a batch not yet complete. The batch's records of
 * {@code expert-outputs} are stored apart, each once under its own key ({@link #partKey}), as they came
 * (so that a part found bad is dead-lettered as it was sent); the header says how many there are, which
 * of them is the manifest, and which experts' rows fit the manifest. It stays small, so the deadline
 * scan reads headers only.
 *
 * @param sinceMillis the manifest's creation time once it arrived (the step's real start), the first
 *        part's arrival before
 * @param parts how many parts are stored, numbered from 0
 * @param manifestPart the manifest's number among the parts, -1 until it arrived
 * @param expected how many experts the manifest waits for, -1 until it arrived
 * @param answered the experts whose rows are stored and fit the manifest, ascending
 * @param unavailable the experts the router routed the batch around, from the manifest's record
 */
public record PendingBatch(long sinceMillis, int parts, int manifestPart, int expected, int[] answered,
                           UnavailableExperts unavailable) {

    /** One record as received: where it came from and its value. */
    public record Received(int partition, long offset, byte[] value) {

        public byte[] toBytes() {
            return ByteBuffer.allocate(12 + value.length).order(ByteOrder.LITTLE_ENDIAN).putInt(partition)
                    .putLong(offset).put(value).array();
        }

        public static Received fromBytes(byte[] bytes) {
            ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int partition = in.getInt();
            long offset = in.getLong();
            return new Received(partition, offset, Arrays.copyOfRange(bytes, in.position(), bytes.length));
        }
    }

    /** A batch whose first part (not the manifest) arrives now. */
    public static PendingBatch startedAt(long millis) {
        return new PendingBatch(millis, 0, -1, -1, new int[0], UnavailableExperts.NONE);
    }

    public boolean hasManifest() {
        return manifestPart >= 0;
    }

    public boolean hasAnswered(int expert) {
        return Arrays.binarySearch(answered, expert) >= 0;
    }

    /** Every expert the manifest waits for has answered. */
    public boolean isComplete() {
        return hasManifest() && answered.length == expected;
    }

    /** One more part stored, under number {@link #parts()}. */
    public PendingBatch withPart() {
        return new PendingBatch(sinceMillis, parts + 1, manifestPart, expected, answered, unavailable);
    }

    /** The manifest stored as the next part; the deadline counts from its creation from now on. */
    public PendingBatch withManifest(long createdAtMillis, int expectedExperts, UnavailableExperts routedAround) {
        return new PendingBatch(createdAtMillis, parts + 1, parts, expectedExperts, answered, routedAround);
    }

    public PendingBatch withAnswered(int expert) {
        int at = Arrays.binarySearch(answered, expert);
        if (at >= 0) {
            return this;
        }
        int[] more = new int[answered.length + 1];
        int insert = -1 - at;
        System.arraycopy(answered, 0, more, 0, insert);
        more[insert] = expert;
        System.arraycopy(answered, insert, more, insert + 1, answered.length - insert);
        return new PendingBatch(sinceMillis, parts, manifestPart, expected, more, unavailable);
    }

    public byte[] toBytes() {
        byte[] note = unavailable.toBytes();
        ByteBuffer out = ByteBuffer.allocate(8 + 4 * 4 + 4 * answered.length + note.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(sinceMillis).putInt(parts).putInt(manifestPart).putInt(expected).putInt(answered.length);
        for (int expert : answered) {
            out.putInt(expert);
        }
        // Last, so that a header stored before the router noted unavailable experts reads back, with none.
        return out.put(note).array();
    }

    /** {@link #sinceMillis()} of a stored header, read without decoding the rest (the deadline scan). */
    public static long sinceMillis(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    public static PendingBatch fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long since = in.getLong();
        int parts = in.getInt();
        int manifestPart = in.getInt();
        int expected = in.getInt();
        int[] answered = new int[in.getInt()];
        for (int i = 0; i < answered.length; i++) {
            answered[i] = in.getInt();
        }
        UnavailableExperts unavailable = in.hasRemaining()
                ? UnavailableExperts.fromBytes(Arrays.copyOfRange(bytes, in.position(), bytes.length))
                : UnavailableExperts.NONE;
        return new PendingBatch(since, parts, manifestPart, expected, answered, unavailable);
    }

    /**
     * The key of a batch's part {@code number} in the parts store: the batch's keys share {@link #partPrefix}
     * and sort by number.
     */
    public static String partKey(String batchId, int number) {
        return partPrefix(batchId) + String.format("%08x", number);
    }

    /** What the keys of a batch's parts, and only they, start with. */
    public static String partPrefix(String batchId) {
        return batchId + '\u0000';
    }
}
