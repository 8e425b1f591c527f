package io.moestream.kernels;

import jcuda.driver.CUdeviceptr;

/**
 * {@code C[m][n] = sum_k A[m][k] B[n][k]} on the device, all row-major with row strides in floats: the
 * shape of both expert GEMMs, whose weights are stored {@code [out][in]}. Called on the CUDA owner thread.
 */
interface DeviceGemm extends AutoCloseable {

    void nt(int m, int n, int k, CUdeviceptr a, int lda, CUdeviceptr b, int ldb, CUdeviceptr c, int ldc);

    /** For descriptions: {@code cublas} or {@code ptx gemm}. */
    String name();

    @Override
    void close();
}
