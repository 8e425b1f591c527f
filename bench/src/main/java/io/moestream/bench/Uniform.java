package io.moestream.bench;

import io.moestream.expert.ExpertWeights;

import java.util.SplittableRandom;

/** Random benchmark operands: cheap to draw, with a chosen standard deviation. */
final class Uniform {

    private Uniform() {
    }

    /** Uniform on [-scale sqrt 3, scale sqrt 3): standard deviation {@code scale}. */
    static float[] floats(SplittableRandom random, int n, double scale) {
        double half = scale * Math.sqrt(3);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(-half, half);
        }
        return values;
    }

    /** One expert's weights, scaled as trained ones are, so that activations stay of order 1. */
    static ExpertWeights expert(SplittableRandom random, int hidden, int ffn) {
        return new ExpertWeights(hidden, ffn, floats(random, ffn * hidden, 1 / Math.sqrt(hidden)),
                floats(random, ffn * hidden, 1 / Math.sqrt(hidden)), floats(random, hidden * ffn, 1 / Math.sqrt(ffn)));
    }
}
