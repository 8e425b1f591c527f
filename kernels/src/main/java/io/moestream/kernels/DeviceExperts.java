package io.moestream.kernels;

import io.moestream.expert.ExpertWeights;
import io.moestream.expert.HostedExperts;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdeviceptr;

import java.util.Map;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * Everything a {@link CudaExpertKernel} holds on the GPU, and its forward pass. Lives on the CUDA owner
 * thread: made there, used there, closed there.
 *
 * <p>The device's primary context is used rather than a context of our own because cuBLAS (through the
 * runtime API) works in the primary context; the driver API calls and cuBLAS then share buffers.
 */
final class DeviceExperts implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DeviceExperts.class.getName());

    private final CudaDevice device;
    private CUcontext context;
    private PtxKernels kernels;
    private DeviceGemm gemm;
    private HostedExperts<DeviceExpert> experts;
    /** Holds X until the first GEMM has read it, then receives Y. */
    private final DeviceFloats rowsInOut = new DeviceFloats();
    private final DeviceFloats h = new DeviceFloats();

    DeviceExperts(Map<Integer, ExpertWeights> weights) {
        device = CudaDevice.first();
        try {
            CUcontext primary = new CUcontext();
            cuDevicePrimaryCtxRetain(primary, device.handle());
            context = primary;
            cuCtxSetCurrent(context);
            kernels = new PtxKernels();
            gemm = chooseGemm(kernels);
            experts = new HostedExperts<>(weights, DeviceExpert::new, DeviceExpert::close);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Same contract as {@link io.moestream.expert.ExpertKernel#forward}. */
    void forward(int expert, float[] x, int rows, float[] y) {
        DeviceExpert e = experts.checkedGet(expert, x, rows, y);
        if (rows == 0) {
            return;
        }
        int d = e.hidden;
        int f = e.ffn;
        long ioBytes = (long) rows * d * Float.BYTES;
        CUdeviceptr io = rowsInOut.ensure((long) rows * d);
        CUdeviceptr hs = h.ensure((long) rows * 2 * f);
        cuMemcpyHtoD(io, Pointer.to(x), ioBytes);
        gemm.nt(rows, 2 * f, d, io, d, e.w13, d, hs, 2 * f);
        kernels.swigluGate(rows, f, hs);
        gemm.nt(rows, d, f, hs, 2 * f, e.w2, f, io, d);
        // Synchronous: returns once the kernels before it on the default stream are done.
        cuMemcpyDtoH(Pointer.to(y), io, ioBytes);
    }

    String description() {
        return "gpu (" + device.name() + ", " + gemm.name() + ")";
    }

    @Override
    public void close() {
        if (experts != null) {
            experts.close();
        }
        rowsInOut.close();
        h.close();
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

    private static DeviceGemm chooseGemm(PtxKernels kernels) {
        try {
            return new CublasGemm();
        } catch (LinkageError | RuntimeException e) {
            LOG.log(System.Logger.Level.INFO, "cuBLAS unavailable, using the PTX GEMM kernel: {0}", e.toString());
            return new PtxGemm(kernels);
        }
    }
}
