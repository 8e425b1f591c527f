package io.moestream.bench;

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
}
