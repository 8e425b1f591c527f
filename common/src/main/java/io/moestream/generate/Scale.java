package io.moestream.generate;

import io.moestream.model.DType;
import io.moestream.routing.SpecName;

/**
 * How much of a preset's real width a generated model keeps, and how many layers it has unless
 * told otherwise. The hidden size and every FFN size are divided by the same factor; experts,
 * top-k and the vocabulary are not, so routing has the real model's shape at every scale. Heads
 * shrink less than the width so that a head keeps a sensible width (16 at tiny, 32 at small, the
 * real 128 at full) and the query heads stay a multiple of the key/value heads.
 */
public enum Scale {
    /**
     * The real shapes, stored in BF16 as the released checkpoints are. Two layers by default: a
     * full Mixtral layer is 2.8 GB, and two are enough for a Qwen-like model to have a dense layer
     * beside its MoE layer.
     */
    FULL(1, 1, DType.BF16, 2),
    /** A quarter of the width, F32, four layers: hundreds of megabytes, for benchmarks on one machine. */
    SMALL(4, 4, DType.F32, 4),
    /** A thirty-second of the width (Mixtral-like d=128, F=448), F32, four layers: for tests and demos. */
    TINY(32, 8, DType.F32, 4);

    private final int divisor;
    private final int headDimDivisor;
    private final DType dtype;
    private final int defaultLayers;

    Scale(int divisor, int headDimDivisor, DType dtype, int defaultLayers) {
        this.divisor = divisor;
        this.headDimDivisor = headDimDivisor;
        this.dtype = dtype;
        this.defaultLayers = defaultLayers;
    }

    /** The name on the command line. */
    public String label() {
        return SpecName.of(this);
    }

    /** A real size at this scale; every preset size is divisible by every divisor. */
    public int apply(int fullSize) {
        return fullSize / divisor;
    }

    /** A real per-head width at this scale. */
    public int applyHeadDim(int fullHeadDim) {
        return fullHeadDim / headDimDivisor;
    }

    /**
     * A real head count at this scale: the heads' total width shrinks with the model's width, each
     * head by {@link #applyHeadDim}, so the count shrinks by the ratio of the two (a quarter at tiny).
     */
    public int applyHeads(int fullHeads) {
        return fullHeads * headDimDivisor / divisor;
    }

    /** The element type the weights are stored in. */
    public DType dtype() {
        return dtype;
    }

    /** Decoder layers when {@code --layers} is not given. */
    public int defaultLayers() {
        return defaultLayers;
    }
}
