package io.moestream.generate;

import io.moestream.model.DType;
import io.moestream.routing.SpecName;

/**
 * How much of a preset's real width a generated model keeps. The hidden size and every FFN size
 * are divided by the same factor; experts, top-k and the vocabulary are not, so routing has the
 * real model's shape at every scale.
 */
public enum Scale {
    /** The real shapes, stored in BF16 as the released checkpoints are: gigabytes. */
    FULL(1, DType.BF16),
    /** A quarter of the width, F32: hundreds of megabytes, for benchmarks on one machine. */
    SMALL(4, DType.F32),
    /** A thirty-second of the width (Mixtral-like d=128, F=448), F32: for tests and demos. */
    TINY(32, DType.F32);

    private final int divisor;
    private final DType dtype;

    Scale(int divisor, DType dtype) {
        this.divisor = divisor;
        this.dtype = dtype;
    }

    /** The name on the command line. */
    public String label() {
        return SpecName.of(this);
    }

    /** A real size at this scale; every preset size is divisible by every divisor. */
    public int apply(int fullSize) {
        return fullSize / divisor;
    }

    /** The element type the weights are stored in. */
    public DType dtype() {
        return dtype;
    }
}
