package io.moestream.kernels;

import org.bytedeco.javacpp.FloatPointer;

import java.nio.FloatBuffer;

/**
 * A native float array that grows on demand and is reused across calls, so that a steady stream of batches
 * allocates nothing. Its contents are undefined after growing.
 */
final class NativeFloats implements AutoCloseable {

    private FloatPointer pointer;
    private FloatBuffer buffer;
    private long capacity;

    /** The array, at least {@code floats} long. */
    FloatPointer ensure(long floats) {
        if (floats > capacity) {
            // The Java view is int-indexed.
            if (floats > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(floats + " floats exceed one native buffer's limit of 2^31 - 1");
            }
            close();
            pointer = new FloatPointer(floats);
            buffer = pointer.asBuffer();
            capacity = floats;
        }
        return pointer;
    }

    /** A Java view of the array as last {@linkplain #ensure ensured}. */
    FloatBuffer buffer() {
        return buffer;
    }

    @Override
    public void close() {
        if (pointer != null) {
            pointer.close();
            pointer = null;
            buffer = null;
            capacity = 0;
        }
    }
}
