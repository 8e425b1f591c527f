package io.moestream.kernels;

import io.moestream.expert.ExpertWeights;
import org.bytedeco.javacpp.FloatPointer;

/**
 * One expert's weights in native memory for OpenBLAS, for the kernel's life: W1 and W3 stacked into one
 * {@code [2 * ffn][hidden]} matrix, so that one sgemm computes both projections, and W2 {@code [hidden][ffn]}.
 */
final class NativeExpert implements AutoCloseable {

    final int hidden;
    final int ffn;
    final FloatPointer w13;
    final FloatPointer w2;

    NativeExpert(ExpertWeights weights) {
        hidden = weights.hidden();
        ffn = weights.ffn();
        long matrix = (long) ffn * hidden;
        w13 = new FloatPointer(2 * matrix);
        try {
            w13.put(weights.w1());
            w13.position(matrix).put(weights.w3()).position(0);
            w2 = new FloatPointer(weights.w2());
        } catch (RuntimeException | Error e) {
            w13.close();
            throw e;
        }
    }

    @Override
    public void close() {
        w13.close();
        w2.close();
    }
}
