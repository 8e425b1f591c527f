package io.moestream.kernels;

import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

import java.nio.charset.StandardCharsets;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

/**
 * The CUDA device the GPU kernel uses (device 0; {@code CUDA_VISIBLE_DEVICES} picks which one that is) and
 * the driver it runs under.
 */
record CudaDevice(CUdevice handle, String name, int major, int minor, long memoryBytes, int driverVersion) {

    /** The lowest driver API version that loads swiglu.ptx's PTX ISA 8.0 (CUDA 12.0; driver R525 or newer). */
    static final int MIN_DRIVER_VERSION = 12000;
    /** swiglu.ptx targets compute_75 (Turing); the driver JIT-compiles it for anything newer. */
    static final int MIN_COMPUTE = 75;

    /**
     * Initialises the driver API (idempotent) and describes device 0.
     *
     * @throws LinkageError          when JCuda's native library or libcuda.so.1 is missing
     * @throws jcuda.CudaException   when the driver fails
     * @throws IllegalStateException when the driver sees no device
     */
    static CudaDevice first() {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        int[] value = {0};
        cuDeviceGetCount(value);
        if (value[0] == 0) {
            throw new IllegalStateException("the CUDA driver sees no device");
        }
        CUdevice device = new CUdevice();
        cuDeviceGet(device, 0);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        cuDeviceGetAttribute(value, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        int major = value[0];
        cuDeviceGetAttribute(value, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        int minor = value[0];
        long[] memory = {0};
        cuDeviceTotalMem(memory, device);
        cuDriverGetVersion(value);
        return new CudaDevice(device, cString(name), major, minor, memory[0], value[0]);
    }

    /** Why this device cannot run the kernels, or null when it can. */
    String unsuitability() {
        if (driverVersion < MIN_DRIVER_VERSION) {
            return "the driver supports CUDA " + version(driverVersion) + ", the kernels' PTX needs "
                    + version(MIN_DRIVER_VERSION) + " or newer";
        }
        if (major * 10 + minor < MIN_COMPUTE) {
            return "compute capability " + major + "." + minor + " is below the kernels' 7.5";
        }
        return null;
    }

    @Override
    public String toString() {
        return name + " (compute " + major + "." + minor + ", " + (memoryBytes >> 20) + " MiB, driver CUDA "
                + version(driverVersion) + ")";
    }

    private static String version(int cudaVersion) {
        return cudaVersion / 1000 + "." + cudaVersion % 1000 / 10;
    }

    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.US_ASCII);
    }
}
