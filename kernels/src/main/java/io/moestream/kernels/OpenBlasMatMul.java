package io.moestream.kernels;

import io.moestream.decoder.MatMul;
import org.bytedeco.javacpp.FloatPointer;

import java.nio.FloatBuffer;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

/**
 * {@link MatMul} as one sgemm: the blocks are copied row by row into native buffers (reused and
 * grown on demand), multiplied, and C copied back. The copies are linear in the blocks, the product
 * is not, which is why attention uses this for prompts and not for single tokens.
 */
final class OpenBlasMatMul implements MatMul {

    private final NativeFloats a = new NativeFloats();
    private final NativeFloats b = new NativeFloats();
    private final NativeFloats c = new NativeFloats();

    OpenBlasMatMul() {
        OpenBlasLibrary.load();
    }

    @Override
    public void multiply(int m, int n, int k, float[] aValues, int aFrom, int lda, float[] bValues, int bFrom, int ldb,
                         float[] cValues, int cFrom, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        FloatPointer as = rows(a, aValues, aFrom, lda, m, k);
        FloatPointer bs = rows(b, bValues, bFrom, ldb, k, n);
        FloatPointer cs = c.ensure((long) m * n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1f, as, k, bs, n, 0f, cs, n);
        FloatBuffer out = c.buffer();
        for (int i = 0; i < m; i++) {
            out.get(i * n, cValues, cFrom + i * ldc, n);
        }
    }

    /** Copies {@code rows} rows of {@code width} values, {@code stride} apart, into {@code buffer} contiguously. */
    private static FloatPointer rows(NativeFloats buffer, float[] values, int from, int stride, int rows, int width) {
        FloatPointer pointer = buffer.ensure((long) rows * width);
        FloatBuffer view = buffer.buffer();
        for (int r = 0; r < rows; r++) {
            view.put(r * width, values, from + r * stride, width);
        }
        return pointer;
    }
}
