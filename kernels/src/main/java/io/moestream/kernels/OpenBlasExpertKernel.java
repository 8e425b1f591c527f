package io.moestream.kernels;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import io.moestream.expert.HostedExperts;
import org.bytedeco.javacpp.FloatPointer;

import java.util.Map;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

/**
 * The CPU kernel: per batch one sgemm for W1 and W3 together ({@code H = X W13^T}, {@code [T][2F]}), the
 * SwiGLU gate in place on H ({@link SwiGluGate}), and one sgemm for W2 ({@code Y = G W2^T}, reading G as
 * the first F columns of H with row stride 2F). The weights are stored {@code [out][in]} as checkpoints
 * keep them, which row-major sgemm takes as {@code (NoTrans, Trans)} without copying anything.
 *
 * <p>Weights stay in native memory for the kernel's life; the input, H and output buffers are native too,
 * reused across calls and grown when a batch needs more. The whole FFN costs one copy of X in and one
 * of Y out beyond the two sgemms.
 *
 * <p>Weights are F32. BF16 storage would halve their memory (for Mixtral-8x7B's experts, 5.6 GB per layer
 * in F32) and the memory traffic that bounds small batches, at the price of a conversion or a BF16 GEMM:
 * OpenBLAS has {@code cblas_sbgemm}, but bytedeco's presets (0.3.31-1.5.13) do not expose it, so it could
 * not be measured here; converting BF16 to F32 per call would cost more than the GEMM it feeds at small T.
 *
 * <p>Environment: see {@link OpenBlasLibrary} ({@code OPENBLAS_CORETYPE} must be set before the JVM starts
 * on AMD CPUs with AVX-512). JavaCPP caps native allocations at the Java heap size by default; hosting many
 * large experts needs {@code -Dorg.bytedeco.javacpp.maxBytes} raised (0 lifts the cap).
 *
 * <p>Not thread-safe (the {@link ExpertKernel} contract: one owner thread); OpenBLAS's own threads work
 * inside each sgemm.
 */
public final class OpenBlasExpertKernel implements ExpertKernel {

    private final HostedExperts<NativeExpert> experts;
    /** Holds X until the first sgemm has read it, then receives Y. */
    private final NativeFloats rowsInOut = new NativeFloats();
    private final NativeFloats h = new NativeFloats();
    private final SwiGluGate gate = new SwiGluGate();
    private final String description;

    /**
     * @param threads OpenBLAS threads (process-wide: the last kernel made sets it for all), or 0 to keep the
     *                count OpenBLAS loaded with ({@code OPENBLAS_NUM_THREADS}, else one per core)
     * @throws LinkageError if OpenBLAS's native library does not load
     */
    public OpenBlasExpertKernel(Map<Integer, ExpertWeights> weights, int threads) {
        OpenBlasLibrary.threads(threads);
        this.experts = new HostedExperts<>(weights, NativeExpert::new, NativeExpert::close);
        this.description = "cpu (openblas, " + OpenBlasLibrary.settings() + ")";
    }

    @Override
    public void forward(int expert, float[] x, int rows, float[] y) {
        NativeExpert e = experts.checkedGet(expert, x, rows, y);
        if (rows == 0) {
            return;
        }
        int d = e.hidden;
        int f = e.ffn;
        int values = rows * d;
        FloatPointer io = rowsInOut.ensure(values);
        FloatPointer hs = h.ensure((long) rows * 2 * f);
        io.put(x, 0, values);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, 2 * f, d, 1f, io, d, e.w13, d, 0f, hs, 2 * f);
        gate.apply(h.buffer(), rows, f);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, d, f, 1f, hs, 2 * f, e.w2, f, 0f, io, d);
        io.get(y, 0, values);
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void close() {
        experts.close();
        rowsInOut.close();
        h.close();
    }
}
