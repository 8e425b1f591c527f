package io.moestream.kernels;

/**
 * Whether a native backend can run in this JVM, and why not when it cannot. Each probe runs once per JVM,
 * on first use, and never throws: a missing driver or library becomes {@code available == false} with the
 * reason, which is logged once and kept for health endpoints and metrics.
 */
public record BackendProbe(boolean available, String reason) {

    private static final System.Logger LOG = System.getLogger(BackendProbe.class.getName());

    /** The first CUDA device, if the driver, the device and this build's PTX all fit together. */
    public static BackendProbe gpu() {
        return Gpu.RESULT;
    }

    /** Whether OpenBLAS's native library loads. */
    public static BackendProbe openBlas() {
        return OpenBlas.RESULT;
    }

    // Holder classes: each probe runs when first asked for, once, and JCuda stays unloaded until then.
    private static final class Gpu {
        static final BackendProbe RESULT = logged("GPU", probeGpu());
    }

    private static final class OpenBlas {
        static final BackendProbe RESULT = logged("OpenBLAS", probeOpenBlas());
    }

    private static BackendProbe probeGpu() {
        try {
            CudaDevice device = CudaDevice.first();
            String unsuitable = device.unsuitability();
            return unsuitable == null ? new BackendProbe(true, device.toString())
                    : new BackendProbe(false, device + ": " + unsuitable);
        } catch (LinkageError e) {
            // JCuda's first failure is an UnsatisfiedLinkError, any later one a NoClassDefFoundError: both Errors.
            return new BackendProbe(false, "JCuda's driver binding did not load: " + Failures.summary(e));
        } catch (RuntimeException e) {
            // CudaException from the driver, IllegalStateException when it sees no device.
            return new BackendProbe(false, "the CUDA driver is present but unusable: " + Failures.summary(e));
        }
    }

    private static BackendProbe probeOpenBlas() {
        try {
            OpenBlasLibrary.load();
            return new BackendProbe(true, "OpenBLAS loaded (" + OpenBlasLibrary.settings() + ")");
        } catch (LinkageError | RuntimeException e) {
            return new BackendProbe(false, "OpenBLAS did not load: " + Failures.summary(e));
        }
    }

    private static BackendProbe logged(String what, BackendProbe probe) {
        LOG.log(System.Logger.Level.INFO, "{0} backend {1}: {2}", what,
                probe.available() ? "available" : "unavailable", probe.reason());
        return probe;
    }
}
