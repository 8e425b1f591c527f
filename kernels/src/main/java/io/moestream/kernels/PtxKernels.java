package io.moestream.kernels;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

/**
 * The kernels of {@code src/main/cuda/swiglu.cu}, loaded from the committed {@code swiglu.ptx} (PTX ISA 8.0,
 * target compute_75: a CUDA 12.0+ driver, R525 or newer, JIT-compiles it for the GPU at hand; regenerate it
 * with {@code src/main/cuda/build-ptx.sh}). Must be made and used on the CUDA owner thread, with the
 * context current.
 */
final class PtxKernels implements AutoCloseable {

    static final String RESOURCE = "swiglu.ptx";
    // The launch geometry swiglu.cu is written for: BM = BN = 64, a block of 16 x 16 threads.
    private static final int GEMM_TILE = 64;
    private static final int GEMM_THREADS = 16;
    private static final int GATE_THREADS = 256;
    // Enough blocks to fill any current GPU; the gate kernel's grid-stride loop covers the rest.
    private static final int GATE_MAX_BLOCKS = 65_535;

    private final CUmodule module = new CUmodule();
    private final CUfunction gemmNt = new CUfunction();
    private final CUfunction swigluGate = new CUfunction();

    PtxKernels() {
        try {
            cuModuleLoadData(module, ptx());
        } catch (CudaException e) {
            throw new CudaException("the driver did not load " + RESOURCE + " (PTX ISA 8.0, needs a CUDA 12.0+ driver,"
                    + " R525 or newer): " + e.getMessage(), e);
        }
        cuModuleGetFunction(gemmNt, module, "gemm_nt");
        cuModuleGetFunction(swigluGate, module, "swiglu_gate");
    }

    /** See {@link DeviceGemm#nt}. */
    void gemmNt(int m, int n, int k, CUdeviceptr a, int lda, CUdeviceptr b, int ldb, CUdeviceptr c, int ldc) {
        Pointer parameters = Pointer.to(Pointer.to(new int[] {m}), Pointer.to(new int[] {n}), Pointer.to(new int[] {k}),
                Pointer.to(a), Pointer.to(new int[] {lda}), Pointer.to(b), Pointer.to(new int[] {ldb}),
                Pointer.to(c), Pointer.to(new int[] {ldc}));
        cuLaunchKernel(gemmNt, blocks(n, GEMM_TILE), blocks(m, GEMM_TILE), 1, GEMM_THREADS, GEMM_THREADS, 1,
                0, null, parameters, null);
    }

    /** In place on {@code h[rows][2 * ffn]}: {@code h[r][j] = silu(h[r][j]) * h[r][ffn + j]}. */
    void swigluGate(int rows, int ffn, CUdeviceptr h) {
        Pointer parameters = Pointer.to(Pointer.to(new int[] {rows}), Pointer.to(new int[] {ffn}), Pointer.to(h));
        int grid = (int) Math.min(GATE_MAX_BLOCKS, ((long) rows * ffn + GATE_THREADS - 1) / GATE_THREADS);
        cuLaunchKernel(swigluGate, grid, 1, 1, GATE_THREADS, 1, 1, 0, null, parameters, null);
    }

    @Override
    public void close() {
        cuModuleUnload(module);
    }

    private static int blocks(int extent, int tile) {
        return (extent + tile - 1) / tile;
    }

    /** The PTX text, NUL-terminated as cuModuleLoadData expects. */
    private static byte[] ptx() {
        try (InputStream in = PtxKernels.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
