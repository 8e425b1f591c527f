package io.moestream.pipeline;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The experts a batch was routed without, because no consumer served them, and per request span of the
 * batch's manifest how many of its slots they would have taken: the router's note to reassembly, carried
 * as the {@link #HEADER} of the manifest's record. A manifest without the header lost no expert.
 *
 * @param experts the unavailable experts, ascending
 * @param slots per request span of the manifest, in its order, the slots moved off those experts
 */
public record UnavailableExperts(int[] experts, int[] slots) {

    public static final String HEADER = "moe.unavailable-experts";
    public static final UnavailableExperts NONE = new UnavailableExperts(new int[0], new int[0]);

    public boolean isEmpty() {
        return experts.length == 0;
    }

    /** Little-endian: the count and ids of the experts, then the count and slots of the spans. */
    public byte[] toBytes() {
        ByteBuffer out = ByteBuffer.allocate(8 + 4 * (experts.length + slots.length)).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(experts.length);
        Arrays.stream(experts).forEach(out::putInt);
        out.putInt(slots.length);
        Arrays.stream(slots).forEach(out::putInt);
        return out.array();
    }

    /** @throws IllegalArgumentException for bytes that are not a note of {@link #toBytes} */
    public static UnavailableExperts fromBytes(byte[] bytes) {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int[] experts = ints(in);
            int[] slots = ints(in);
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " unexpected trailing bytes in " + HEADER);
            }
            return new UnavailableExperts(experts, slots);
        } catch (BufferUnderflowException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("truncated " + HEADER + " header");
        }
    }

    private static int[] ints(ByteBuffer in) {
        int count = in.getInt();
        if (count > in.remaining() / 4) {
            throw new BufferUnderflowException();
        }
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = in.getInt();
        }
        return values;
    }
}
