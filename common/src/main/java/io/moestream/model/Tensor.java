package io.moestream.model;

import java.util.Arrays;

/**
 * A dense F32 tensor: its {@code shape} and its values in row-major order, as safetensors stores
 * them. The data array is shared, not copied, because weights can be gigabytes.
 */
public record Tensor(int[] shape, float[] data) {

    public Tensor {
        if (shape == null || data == null) {
            throw new IllegalArgumentException("shape and data are required");
        }
        shape = shape.clone();
        long size = size(shape);
        if (size != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + size
                    + " values, but data has " + data.length);
        }
    }

    /** {@code Tensor.of(values, rows, cols)}: a tensor of the given shape over {@code data}. */
    public static Tensor of(float[] data, int... shape) {
        return new Tensor(shape, data);
    }

    /**
     * The number of values a tensor of {@code shape} holds; 1 for a scalar ({@code []}).
     *
     * @throws ArithmeticException when the count does not fit in a long
     */
    static long size(int[] shape) {
        long size = 1;
        for (int dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            size = Math.multiplyExact(size, dim);
        }
        return size;
    }

    /** Shape only: printing the data of a weight matrix helps nobody. */
    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
