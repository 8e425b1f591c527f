package io.moestream.decoder;

import java.util.Arrays;

/**
 * One sequence's state in a {@link DecoderModel}: how many positions it has computed and, per
 * layer, their keys and values (the KV cache), F32. The cache grows by doubling up to the model's
 * {@code max_position_embeddings}, so one sequence holds at most
 * {@code layers * max_positions * 2 * kv_heads * head_dim * 4} bytes. Not thread-safe.
 */
public final class Sequence {

    private final int layers;
    private final int width;
    private final int maxPositions;
    private final float[][] keys;
    private final float[][] values;
    private int length;
    private int capacity;

    Sequence(int layers, int keyValueWidth, int maxPositions) {
        this.layers = layers;
        this.width = keyValueWidth;
        this.maxPositions = maxPositions;
        this.keys = new float[layers][];
        this.values = new float[layers][];
        grow(Math.min(16, maxPositions));
    }

    /** Positions computed so far: the position of the next token. */
    public int length() {
        return length;
    }

    /** Bytes the cache holds now, allocated capacity included. */
    public long cacheBytes() {
        return 2L * layers * capacity * width * Float.BYTES;
    }

    /** Makes room for {@code tokens} more positions, failing when they exceed the model's maximum. */
    void reserve(int tokens) {
        long needed = (long) length + tokens;
        if (needed > maxPositions) {
            throw new IllegalArgumentException("the sequence would hold " + needed
                    + " tokens, more than max_position_embeddings " + maxPositions);
        }
        if (needed > capacity) {
            grow((int) Math.min(maxPositions, Math.max(needed, 2L * capacity)));
        }
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    /** Called once every layer has written the step's positions. */
    void advance(int tokens) {
        length += tokens;
    }

    private void grow(int positions) {
        for (int l = 0; l < layers; l++) {
            keys[l] = keys[l] == null ? new float[positions * width] : Arrays.copyOf(keys[l], positions * width);
            values[l] = values[l] == null ? new float[positions * width] : Arrays.copyOf(values[l], positions * width);
        }
        capacity = positions;
    }
}
