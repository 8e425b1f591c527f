package io.moestream.kernels;

import io.moestream.expert.ExpertWeights;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * One expert's weights resident on the device, laid out as for the CPU ({@link NativeExpert}): W1 and W3
 * stacked into {@code [2 * ffn][hidden]}, W2 {@code [hidden][ffn]}. Made and freed on the owner thread.
 */
final class DeviceExpert implements AutoCloseable {

    final int hidden;
    final int ffn;
    final CUdeviceptr w13 = new CUdeviceptr();
    final CUdeviceptr w2 = new CUdeviceptr();
    private boolean w13Allocated;
    private boolean w2Allocated;

    DeviceExpert(ExpertWeights weights) {
        hidden = weights.hidden();
        ffn = weights.ffn();
        long matrixBytes = (long) ffn * hidden * Float.BYTES;
        try {
            cuMemAlloc(w13, 2 * matrixBytes);
            w13Allocated = true;
            cuMemAlloc(w2, matrixBytes);
            w2Allocated = true;
            cuMemcpyHtoD(w13, Pointer.to(weights.w1()), matrixBytes);
            cuMemcpyHtoD(w13.withByteOffset(matrixBytes), Pointer.to(weights.w3()), matrixBytes);
            cuMemcpyHtoD(w2, Pointer.to(weights.w2()), matrixBytes);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (w13Allocated) {
            cuMemFree(w13);
            w13Allocated = false;
        }
        if (w2Allocated) {
            cuMemFree(w2);
            w2Allocated = false;
        }
    }
}
