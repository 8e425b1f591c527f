package io.moestream.generate;

import io.moestream.model.Tensor;
import java.util.function.Supplier;

/**
 * A tensor of the checkpoint to be: its name and shape now, its values drawn only when its shard
 * is written, so that a full-scale model is never in memory all at once.
 */
record PlannedTensor(String name, int[] shape, Supplier<float[]> values) {

    long elements() {
        long n = 1;
        for (int dim : shape) {
            n *= dim;
        }
        return n;
    }

    Tensor draw() {
        return new Tensor(shape, values.get());
    }
}
