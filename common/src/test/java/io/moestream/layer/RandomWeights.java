package io.moestream.layer;

import io.moestream.expert.ExpertWeights;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Seeded random layer operands for the layer tests: uniform values of a chosen scale. */
final class RandomWeights {

    private final SplittableRandom random;

    RandomWeights(long seed) {
        random = new SplittableRandom(seed);
    }

    /** Uniform on [-scale, scale). */
    float[] floats(int n, double scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return values;
    }

    /** Experts {@code 0..count-1} of the given shape, weights uniform on [-0.5, 0.5). */
    Map<Integer, ExpertWeights> experts(int count, int hidden, int ffn) {
        Map<Integer, ExpertWeights> weights = new HashMap<>();
        for (int e = 0; e < count; e++) {
            weights.put(e, new ExpertWeights(hidden, ffn, floats(ffn * hidden, 0.5), floats(ffn * hidden, 0.5),
                    floats(hidden * ffn, 0.5)));
        }
        return weights;
    }
}
