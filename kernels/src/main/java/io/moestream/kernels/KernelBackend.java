package io.moestream.kernels;

import io.moestream.routing.SpecName;

/** Where expert FFNs run. Spec names (options, config, health output): {@code auto}, {@code cpu}, {@code gpu}, {@code java}. */
public enum KernelBackend {
    /** The GPU when one is usable, else OpenBLAS when it loads, else plain Java. */
    AUTO,
    /** OpenBLAS sgemm on the CPU ({@link OpenBlasExpertKernel}). */
    CPU,
    /** CUDA through JCuda's driver API ({@link CudaExpertKernel}); falls back to the CPU when no GPU is usable. */
    GPU,
    /** The plain-Java reference ({@link io.moestream.expert.JavaExpertKernel}): slow, but always there. */
    JAVA;

    /** @throws IllegalArgumentException naming the valid spec names */
    public static KernelBackend parse(String specName) {
        return SpecName.parse(KernelBackend.class, "backend", specName);
    }

    public String specName() {
        return SpecName.of(this);
    }
}
