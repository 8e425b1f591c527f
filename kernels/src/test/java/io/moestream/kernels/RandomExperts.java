package io.moestream.kernels;

import io.moestream.expert.ExpertWeights;

import java.util.Random;

/** Random experts and inputs scaled like trained ones (activations of order 1), and the error measure. */
final class RandomExperts {

    private RandomExperts() {
    }

    static ExpertWeights expert(int hidden, int ffn, long seed) {
        Random random = new Random(seed);
        return new ExpertWeights(hidden, ffn,
                gaussian(random, ffn * hidden, 1 / Math.sqrt(hidden)),
                gaussian(random, ffn * hidden, 1 / Math.sqrt(hidden)),
                gaussian(random, hidden * ffn, 1 / Math.sqrt(ffn)));
    }

    static float[] input(int rows, int hidden, long seed) {
        return gaussian(new Random(seed), rows * hidden, 1);
    }

    private static float[] gaussian(Random random, int n, double scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }
}
