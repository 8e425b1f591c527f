package io.moestream.decoder;

import java.util.stream.IntStream;

/**
 * {@code y = x W^T} as dot products accumulated in double, over the weight array as given. Large
 * projections split their rows of output across the common fork-join pool.
 */
final class JavaLinear implements Linear {

    /** Below this many multiply-adds a projection is not worth splitting across threads. */
    private static final long PARALLEL_WORK = 1L << 18;

    private final float[] weight;
    private final int out;
    private final int in;

    JavaLinear(float[] weight, int out, int in) {
        if (out < 1 || in < 1 || weight.length != (long) out * in) {
            throw new IllegalArgumentException("weight has " + weight.length + " values, expected out * in = "
                    + out + " * " + in);
        }
        this.weight = weight;
        this.out = out;
        this.in = in;
    }

    @Override
    public void forward(float[] x, int rows, float[] y) {
        if (x.length < (long) rows * in || y.length < (long) rows * out) {
            throw new IllegalArgumentException("x or y too short for " + rows + " rows of " + in + " -> " + out);
        }
        IntStream outputs = IntStream.range(0, rows * out);
        if ((long) rows * out * in >= PARALLEL_WORK) {
            outputs = outputs.parallel();
        }
        outputs.forEach(i -> {
            int r = i / out;
            int o = i % out;
            y[i] = (float) dot(x, r * in, weight, o * in, in);
        });
    }

    private static double dot(float[] a, int aStart, float[] b, int bStart, int length) {
        double s0 = 0;
        double s1 = 0;
        int i = 0;
        for (; i + 1 < length; i += 2) {
            s0 += (double) a[aStart + i] * b[bStart + i];
            s1 += (double) a[aStart + i + 1] * b[bStart + i + 1];
        }
        if (i < length) {
            s0 += (double) a[aStart + i] * b[bStart + i];
        }
        return s0 + s1;
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
    }
}
