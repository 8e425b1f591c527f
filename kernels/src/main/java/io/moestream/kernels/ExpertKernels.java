package io.moestream.kernels;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;

import java.util.Map;

/**
 * Builds the expert kernel for a requested backend, falling back instead of failing: {@code auto} and
 * {@code gpu} take the GPU when {@link BackendProbe#gpu()} says it is usable and the kernel starts, else the
 * CPU; {@code cpu} takes OpenBLAS when it loads, else the Java reference. The JVM never dies of a missing
 * driver or library; the reason is logged (as a warning when an explicit request was not met) and returned
 * in the {@link BackendStatus}.
 */
public final class ExpertKernels {

    private static final System.Logger LOG = System.getLogger(ExpertKernels.class.getName());

    private ExpertKernels() {
    }

    /**
     * @param threads OpenBLAS threads for the CPU backend, or 0 to keep OpenBLAS's own setting; see
     *                {@link OpenBlasExpertKernel}
     * @throws IllegalArgumentException for negative threads
     */
    public static SelectedKernel create(KernelBackend backend, Map<Integer, ExpertWeights> weights, int threads) {
        // Checked first: a bad argument must fail, not look like a backend that did not start.
        OpenBlasLibrary.checkThreads(threads);
        SelectedKernel selected = switch (backend) {
            case JAVA -> new SelectedKernel(new JavaExpertKernel(weights),
                    new BackendStatus(backend, KernelBackend.JAVA, "java requested"));
            case CPU -> cpu(backend, weights, threads, "cpu requested");
            case GPU, AUTO -> gpu(backend, weights, threads);
        };
        BackendStatus status = selected.status();
        LOG.log(status.fellBack() ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                "expert kernel: {0} requested, running {1}: {2}", backend.specName(),
                selected.kernel().description(), status.reason());
        return selected;
    }

    private static SelectedKernel gpu(KernelBackend requested, Map<Integer, ExpertWeights> weights, int threads) {
        BackendProbe probe = BackendProbe.gpu();
        if (!probe.available()) {
            return cpu(requested, weights, threads, "no usable GPU: " + probe.reason());
        }
        try {
            ExpertKernel kernel = new CudaExpertKernel(weights);
            return new SelectedKernel(kernel, new BackendStatus(requested, KernelBackend.GPU, probe.reason()));
        } catch (LinkageError | RuntimeException e) {
            return cpu(requested, weights, threads, "the GPU kernel failed to start on " + probe.reason() + ": "
                    + Failures.summary(e));
        }
    }

    private static SelectedKernel cpu(KernelBackend requested, Map<Integer, ExpertWeights> weights, int threads,
                                      String why) {
        BackendProbe probe = BackendProbe.openBlas();
        String whyNot;
        if (probe.available()) {
            try {
                ExpertKernel kernel = new OpenBlasExpertKernel(weights, threads);
                return new SelectedKernel(kernel, new BackendStatus(requested, KernelBackend.CPU, why));
            } catch (LinkageError | RuntimeException e) {
                whyNot = "the OpenBLAS kernel failed to start: " + Failures.summary(e);
            }
        } else {
            whyNot = probe.reason();
        }
        return new SelectedKernel(new JavaExpertKernel(weights),
                new BackendStatus(requested, KernelBackend.JAVA, why + "; " + whyNot));
    }
}
