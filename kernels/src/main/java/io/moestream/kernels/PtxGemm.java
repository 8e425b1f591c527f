package io.moestream.kernels;

import jcuda.driver.CUdeviceptr;

/** {@link DeviceGemm} by swiglu.cu's own tiled kernel: the path wherever cuBLAS does not load. */
final class PtxGemm implements DeviceGemm {

    private final PtxKernels kernels;

    PtxGemm(PtxKernels kernels) {
        this.kernels = kernels;
    }

    @Override
    public void nt(int m, int n, int k, CUdeviceptr a, int lda, CUdeviceptr b, int ldb, CUdeviceptr c, int ldc) {
        kernels.gemmNt(m, n, k, a, lda, b, ldb, c, ldc);
    }

    @Override
    public String name() {
        return "ptx gemm";
    }

    @Override
    public void close() {
        // The module belongs to PtxKernels, which its owner closes.
    }
}
