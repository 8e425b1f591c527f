package io.moestream.kernels;

import io.moestream.expert.ExpertWeights;
import io.moestream.expert.HostedExperts;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.util.Map;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * Everything a {@link CudaExpertKernel} holds on the GPU, and its forward pass. Lives on the CUDA owner
 * thread: made there, used there, closed there.
 */
final class DeviceExperts implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DeviceExperts.class.getName());

    private final DeviceContext context;
    private HostedExperts<DeviceExpert> experts;
    /** Holds X until the first GEMM has read it, then receives Y. */
    private final DeviceFloats rowsInOut = new DeviceFloats();
    private final DeviceFloats h = new DeviceFloats();

    DeviceExperts(Map<Integer, ExpertWeights> weights) {
        context = new DeviceContext(DeviceExperts::chooseGemm);
        try {
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
        long ioBytes = (long) rows * e.hidden * Float.BYTES;
        CUdeviceptr io = rowsInOut.ensure((long) rows * e.hidden);
        CUdeviceptr hs = h.ensure((long) rows * 2 * e.ffn);
        cuMemcpyHtoD(io, Pointer.to(x), ioBytes);
        context.ffn(e, rows, io, hs, io, DeviceContext.LaunchHook.NONE);
        // Synchronous: returns once the kernels before it on the default stream are done.
        cuMemcpyDtoH(Pointer.to(y), io, ioBytes);
    }

    String description() {
        return "gpu (" + context.device().name() + ", " + context.gemmName() + ")";
    }

    @Override
    public void close() {
        if (experts != null) {
            experts.close();
        }
        rowsInOut.close();
        h.close();
        context.close();
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
