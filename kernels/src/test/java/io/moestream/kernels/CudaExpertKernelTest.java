package io.moestream.kernels;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

import java.util.Map;

/** The kernel contract on the GPU; skipped, with the probe's reason, where there is none. */
class CudaExpertKernelTest extends ExpertKernelContract {

    // Per test, not per class: Surefire then lists each test as skipped, with the reason.
    @BeforeEach
    void needsAGpu() {
        BackendProbe probe = BackendProbe.gpu();
        Assumptions.assumeTrue(probe.available(), probe.reason());
    }

    @Override
    ExpertKernel create(Map<Integer, ExpertWeights> weights) {
        return new CudaExpertKernel(weights);
    }
}
