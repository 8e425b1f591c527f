package io.moestream.bench;

import org.bytedeco.javacpp.FloatPointer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

/**
 * Runs recorded gemms as bare {@code cblas_sgemm} calls. Each weight gets its own native buffer of
 * its real size, as many as the model has, so that a decode step streams as many weight bytes
 * from memory as the engine's does, and no cache makes the bound look faster than it is.
 */
final class GemmReplay implements AutoCloseable {

    private final Map<Integer, FloatPointer> weights = new HashMap<>();
    private final FloatPointer x;
    private final FloatPointer y;

    GemmReplay(Map<Integer, long[]> shapes, List<GemmTrace.Gemm> gemms) {
        long largestIn = 1;
        long largestOut = 1;
        for (GemmTrace.Gemm g : gemms) {
            largestIn = Math.max(largestIn, (long) g.rows() * g.in());
            largestOut = Math.max(largestOut, (long) g.rows() * g.out());
            weights.computeIfAbsent(g.weight(), id -> filled(shapes.get(id)[0] * shapes.get(id)[1]));
        }
        x = filled(largestIn);
        y = new FloatPointer(largestOut);
    }

    /** Nanoseconds to run {@code gemms} once. */
    long run(List<GemmTrace.Gemm> gemms) {
        long start = System.nanoTime();
        for (GemmTrace.Gemm g : gemms) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g.rows(), g.out(), g.in(), 1f, x, g.in(),
                    weights.get(g.weight()), g.in(), 0f, y, g.out());
        }
        return System.nanoTime() - start;
    }

    private static FloatPointer filled(long size) {
        FloatPointer p = new FloatPointer(size);
        // Values of order one, as weights and activations are: a buffer of zeros could take a faster path.
        java.nio.FloatBuffer values = p.asBuffer();
        for (int i = 0; i < values.capacity(); i++) {
            values.put(i, (float) ((i * 2654435761L % 1000) / 1000.0 - 0.5));
        }
        return p;
    }

    @Override
    public void close() {
        weights.values().forEach(FloatPointer::close);
        x.close();
        y.close();
    }
}
