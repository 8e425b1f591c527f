package io.moestream.kernels;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;

import java.util.Map;

/**
 * The GPU kernel, through JCuda's driver API: weights resident on the device, per batch the same three
 * steps as {@link OpenBlasExpertKernel} (GEMM with W1 and W3 stacked, the SwiGLU gate in place, GEMM with
 * W2), the GEMMs by cuBLAS where JCublas2 loads ({@code libcublas.so.12}) and by swiglu.cu's tiled kernel
 * otherwise, the gate always by swiglu.cu's kernel. The kernels come from committed PTX (ISA 8.0, target
 * compute_75), so the GPU needs compute capability 7.5 or newer and a CUDA 12.0+ driver (R525 or newer);
 * only the driver (libcuda.so.1) is needed, no CUDA toolkit.
 *
 * <p>All CUDA work runs on one owner thread ({@link CudaOwnerThread}); {@link #forward} hands its batch to
 * that thread and waits, so callers on any thread are safe, one batch at a time. Uses device 0.
 */
public final class CudaExpertKernel implements ExpertKernel {

    private final CudaOwnerThread owner = new CudaOwnerThread();
    private final DeviceExperts device;
    private final String description;
    private boolean closed;

    /**
     * Uploads the weights to the device.
     *
     * @throws LinkageError           when JCuda or the NVIDIA driver is missing
     * @throws jcuda.CudaException     when the driver fails (no memory, PTX not loadable)
     * @throws IllegalStateException  when there is no device
     */
    public CudaExpertKernel(Map<Integer, ExpertWeights> weights) {
        try {
            device = owner.call(() -> new DeviceExperts(weights));
            description = owner.call(device::description);
        } catch (RuntimeException | Error e) {
            owner.shutdown();
            throw e;
        }
    }

    @Override
    public void forward(int expert, float[] x, int rows, float[] y) {
        owner.run(() -> device.forward(expert, x, rows, y));
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            try {
                owner.run(device::close);
            } finally {
                owner.shutdown();
            }
        }
    }
}
