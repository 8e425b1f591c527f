package io.moestream.expert.service;

import io.moestream.wire.ExpertRows;
import java.util.Random;
import java.util.stream.IntStream;

/** Dispatches with random hidden states, as the router would send them. */
final class Dispatches {

    private Dispatches() {
    }

    /** {@code rows} rows for tokens {@code 0, 2, 4, ...} of batch {@code batchId}. */
    static ExpertRows random(String batchId, int expert, int rows, int hidden, long seed) {
        Random random = new Random(seed);
        float[] x = new float[rows * hidden];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return new ExpertRows(batchId, 0, expert, IntStream.range(0, rows).map(t -> 2 * t).toArray(), hidden, x, 0);
    }
}
