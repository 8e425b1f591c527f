package io.moestream.gateway;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What the reassembly store holds for a batch not yet complete: the records of {@code expert-outputs}
 * received for it, as they came (so that a part found bad later is dead-lettered as it was sent),
 * and since when its deadline counts.
 *
 * @param sinceMillis the manifest's creation time once it arrived (the step's real start), the first
 *        part's arrival before
 */
public record PendingBatch(long sinceMillis, List<Received> parts) {

    /** One record as received: where it came from and its value. */
    public record Received(int partition, long offset, byte[] value) {
    }

    public PendingBatch {
        parts = List.copyOf(parts);
    }

    public PendingBatch with(Received part) {
        List<Received> more = new ArrayList<>(parts);
        more.add(part);
        return new PendingBatch(sinceMillis, more);
    }

    public byte[] toBytes() {
        int size = 8 + 4 + parts.stream().mapToInt(p -> 16 + p.value.length).sum();
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(sinceMillis).putInt(parts.size());
        for (Received part : parts) {
            out.putInt(part.partition).putLong(part.offset).putInt(part.value.length).put(part.value);
        }
        return out.array();
    }

    /** {@link #sinceMillis()} of a stored batch, read without decoding its parts (the deadline scan). */
    public static long sinceMillis(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    public static PendingBatch fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long since = in.getLong();
        List<Received> parts = new ArrayList<>();
        for (int i = in.getInt(); i > 0; i--) {
            int partition = in.getInt();
            long offset = in.getLong();
            byte[] value = new byte[in.getInt()];
            in.get(value);
            parts.add(new Received(partition, offset, value));
        }
        return new PendingBatch(since, parts);
    }
}
