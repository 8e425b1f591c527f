package io.moestream.kernels;

import jcuda.driver.CUdeviceptr;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

/**
 * A device float array that grows on demand and is reused across calls; contents undefined after growing.
 * Used on the CUDA owner thread only.
 */
final class DeviceFloats implements AutoCloseable {

    private CUdeviceptr pointer;
    private long capacity;

    CUdeviceptr ensure(long floats) {
        if (floats > capacity) {
            close();
            CUdeviceptr grown = new CUdeviceptr();
            cuMemAlloc(grown, floats * Float.BYTES);
            pointer = grown;
            capacity = floats;
        }
        return pointer;
    }

    @Override
    public void close() {
        if (pointer != null) {
            cuMemFree(pointer);
            pointer = null;
            capacity = 0;
        }
    }
}
