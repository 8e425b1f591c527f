package io.moestream.kernels;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;

import static jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_T;

/**
 * {@link DeviceGemm} by cuBLAS, the fast path where JCublas2 loads: it needs {@code libcublas.so.12}, which
 * a CUDA 13 machine lacks. cuBLAS is column-major, and a row-major {@code C[m][n]} is a column-major
 * {@code n x m} matrix, {@code C^T = B A^T}. Read column-major, B's memory is {@code B^T} (so {@code OP_T})
 * and A's memory is {@code A^T} (so {@code OP_N}): one call with the operands swapped, no data moved.
 * cuBLAS works in the owner thread's current context, the device's primary context.
 */
final class CublasGemm implements DeviceGemm {

    private static final Pointer ONE = Pointer.to(new float[] {1f});
    private static final Pointer ZERO = Pointer.to(new float[] {0f});

    private final cublasHandle handle = new cublasHandle();

    /** @throws LinkageError when JCublas2 or libcublas.so.12 does not load */
    CublasGemm() {
        JCublas2.setExceptionsEnabled(true);
        JCublas2.cublasCreate(handle);
    }

    @Override
    public void nt(int m, int n, int k, CUdeviceptr a, int lda, CUdeviceptr b, int ldb, CUdeviceptr c, int ldc) {
        JCublas2.cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, ONE, b, ldb, a, lda, ZERO, c, ldc);
    }

    @Override
    public String name() {
        return "cublas";
    }

    @Override
    public void close() {
        JCublas2.cublasDestroy(handle);
    }
}
