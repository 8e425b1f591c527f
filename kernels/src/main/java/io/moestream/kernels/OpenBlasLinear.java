package io.moestream.kernels;

import io.moestream.decoder.Linear;
import org.bytedeco.javacpp.FloatPointer;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

/**
 * {@code Y = X W^T} as one sgemm, the weight in native memory {@code [out][in]} as the checkpoint
 * stores it, which row-major sgemm reads as {@code (NoTrans, Trans)} without a copy. The native
 * input and output buffers are shared by every projection of one backend: a model has hundreds of
 * projections but runs one at a time, and a buffer each would cost resident memory for nothing.
 */
final class OpenBlasLinear implements Linear {

    private final int out;
    private final int in;
    private final FloatPointer weight;
    private final NativeFloats x;
    private final NativeFloats y;

    /** @param x and {@code y}: the backend's shared buffers, which this projection does not close */
    OpenBlasLinear(float[] weight, int out, int in, NativeFloats x, NativeFloats y) {
        if (out < 1 || in < 1 || weight.length != (long) out * in) {
            throw new IllegalArgumentException("weight has " + weight.length + " values, expected out * in = "
                    + out + " * " + in);
        }
        OpenBlasLibrary.load();
        this.out = out;
        this.in = in;
        this.weight = new FloatPointer(weight);
        this.x = x;
        this.y = y;
    }

    @Override
    public void forward(float[] input, int rows, float[] output) {
        if (input.length < (long) rows * in || output.length < (long) rows * out) {
            throw new IllegalArgumentException("x or y too short for " + rows + " rows of " + in + " -> " + out);
        }
        if (rows == 0) {
            return;
        }
        FloatPointer xs = x.ensure((long) rows * in);
        FloatPointer ys = y.ensure((long) rows * out);
        xs.put(input, 0, rows * in);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1f, xs, in, weight, in, 0f, ys, out);
        ys.get(output, 0, rows * out);
    }

    @Override
    public int in() {
        return in;
    }

    @Override
    public int out() {
        return out;
    }

    @Override
    public void close() {
        weight.close();
    }
}
