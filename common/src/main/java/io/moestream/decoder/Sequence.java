package io.moestream.decoder;

import java.util.Arrays;

/**
 * One sequence's state in a {@link DecoderModel}: how many positions it has computed and, per
 * layer, their keys and values (the KV cache), F32. The cache grows by doubling up to the model's
 * {@code max_position_embeddings}, so one sequence holds at most
 * {@code layers * max_positions * (key width + value width) * 4} bytes
 * ({@link io.moestream.model.DecoderConfig#kvCacheBytesPerTokenPerLayer()} per position and layer).
 * Not thread-safe.
 *
 * <p>Keys are stored transposed, one row per key dimension holding every position
 * ({@code [key_width][capacity]}), values one row per position ({@code [capacity][value_width]}): a
 * query's scores and its mix of values are then both sums of contiguous rows scaled by a number,
 * loops the JIT turns into vector instructions, where dot products over a head would not be.
 */
public final class Sequence {

    private final int layers;
    private final int keyWidth;
    private final int valueWidth;
    private final int maxPositions;
    private final float[][] keys;
    private final float[][] values;
    private int length;
    private int capacity;

    Sequence(int layers, int keyWidth, int valueWidth, int maxPositions) {
        this.layers = layers;
        this.keyWidth = keyWidth;
        this.valueWidth = valueWidth;
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
        return (long) layers * capacity * (keyWidth + valueWidth) * Float.BYTES;
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

    /** Keys of {@code layer}: dimension {@code i} of position {@code p} at {@code i * capacity() + p}. */
    float[] keys(int layer) {
        return keys[layer];
    }

    /** Positions the cache has room for: the row length of {@link #keys}. */
    int capacity() {
        return capacity;
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
            float[] grown = new float[positions * keyWidth];
            if (keys[l] != null) {
                for (int i = 0; i < keyWidth; i++) {
                    System.arraycopy(keys[l], i * capacity, grown, i * positions, length);
                }
            }
            keys[l] = grown;
            values[l] = values[l] == null ? new float[positions * valueWidth]
                    : Arrays.copyOf(values[l], positions * valueWidth);
        }
        capacity = positions;
    }
}
