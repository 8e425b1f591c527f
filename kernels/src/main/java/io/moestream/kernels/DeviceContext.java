package io.moestream.kernels;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdeviceptr;

import java.util.function.Function;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;

/**
 * Device 0's primary context, current on the thread that made this, with swiglu.cu's kernels loaded and a
 * GEMM chosen; and the expert FFN they run on operands already on the device. Made, used and closed on one
 * thread (for a {@link CudaExpertKernel}, its owner thread).
 *
 * <p>The device's primary context is used rather than a context of our own because cuBLAS (through the
 * runtime API) works in the primary context; the driver API calls and cuBLAS then share buffers.
 */
final class DeviceContext implements AutoCloseable {

    /**
     * Called at the four boundaries of {@link #ffn}'s launches: 0 before the first GEMM, 1 after it, 2 after
     * the gate, 3 after the second GEMM. The launches are asynchronous, so it runs as they are enqueued, not
     * as they finish; a CUDA event recorded here marks the boundary on the device.
     */
    @FunctionalInterface
    interface LaunchHook {

        LaunchHook NONE = boundary -> {
        };

        void at(int boundary);
    }

    private final CudaDevice device;
    private CUcontext context;
    private PtxKernels kernels;
    private DeviceGemm gemm;

    /**
     * @param gemmFor makes the GEMM, given the loaded kernels (the PTX GEMM runs one of them); the context is
     *                current when it is called
     */
    DeviceContext(Function<PtxKernels, DeviceGemm> gemmFor) {
        device = CudaDevice.first();
        try {
            CUcontext primary = new CUcontext();
            cuDevicePrimaryCtxRetain(primary, device.handle());
            context = primary;
            cuCtxSetCurrent(context);
            kernels = new PtxKernels();
            gemm = gemmFor.apply(kernels);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    CudaDevice device() {
        return device;
    }

    /** {@code cublas} or {@code ptx gemm}. */
    String gemmName() {
        return gemm.name();
    }

    /**
     * Enqueues one FFN of {@code expert} on the default stream: {@code h[rows][2 * ffn]} = X W13^T, the SwiGLU
     * gate in place on h, {@code y[rows][hidden]} = gate W2^T. y may be x: the second GEMM reads h only.
     */
    void ffn(DeviceExpert expert, int rows, CUdeviceptr x, CUdeviceptr h, CUdeviceptr y, LaunchHook hook) {
        int d = expert.hidden;
        int f = expert.ffn;
        hook.at(0);
        gemm.nt(rows, 2 * f, d, x, d, expert.w13, d, h, 2 * f);
        hook.at(1);
        kernels.swigluGate(rows, f, h);
        hook.at(2);
        gemm.nt(rows, d, f, h, 2 * f, expert.w2, f, y, d);
        hook.at(3);
    }

    /** Closes the GEMM, then the kernels, then releases the context; the caller frees its buffers first. */
    @Override
    public void close() {
        if (gemm != null) {
            gemm.close();
            gemm = null;
        }
        if (kernels != null) {
            kernels.close();
            kernels = null;
        }
        if (context != null) {
            cuDevicePrimaryCtxRelease(device.handle());
            context = null;
        }
    }
}
