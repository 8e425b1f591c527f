package io.moestream.kernels;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;
import io.moestream.layer.OutputDistance;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class BackendSelectionTest {

    static final Map<Integer, ExpertWeights> WEIGHTS = Map.of(3, RandomExperts.expert(40, 72, 9));

    @Test
    void gpuProbeWithoutAGpuSaysWhy() {
        BackendProbe probe = BackendProbe.gpu();
        assumeFalse(probe.available(), "this machine has a usable GPU: " + probe.reason());
        assertThat(probe.reason()).isNotBlank();
        assertThat(BackendProbe.gpu()).as("probed once per JVM").isSameAs(probe);
    }

    @Test
    void autoFallsBackToTheCpuAndStillComputes() {
        assumeFalse(BackendProbe.gpu().available(), "this machine has a usable GPU");
        SelectedKernel selected = ExpertKernels.create(KernelBackend.AUTO, WEIGHTS, 2);
        try (ExpertKernel kernel = selected.kernel()) {
            assertThat(selected.status().active()).isEqualTo(KernelBackend.CPU);
            assertThat(selected.status().fellBack()).isFalse();
            assertThat(selected.status().reason()).contains("no usable GPU").contains(BackendProbe.gpu().reason());
            assertThat(kernel).isInstanceOf(OpenBlasExpertKernel.class);
            assertComputes(kernel);
        }
    }

    @Test
    void explicitGpuWithoutAGpuRunsOnTheCpuAndSaysSo() {
        assumeFalse(BackendProbe.gpu().available(), "this machine has a usable GPU");
        SelectedKernel selected = ExpertKernels.create(KernelBackend.GPU, WEIGHTS, 1);
        try (ExpertKernel kernel = selected.kernel()) {
            assertThat(selected.status().requested()).isEqualTo(KernelBackend.GPU);
            assertThat(selected.status().active()).isEqualTo(KernelBackend.CPU);
            assertThat(selected.status().fellBack()).isTrue();
            assertThat(selected.status().reason()).contains("no usable GPU");
            assertComputes(kernel);
        }
    }

    @Test
    void explicitCpuAndJavaGetWhatTheyAskFor() {
        try (ExpertKernel cpu = ExpertKernels.create(KernelBackend.CPU, WEIGHTS, 2).kernel();
             ExpertKernel java = ExpertKernels.create(KernelBackend.JAVA, WEIGHTS, 2).kernel()) {
            assertThat(cpu).isInstanceOf(OpenBlasExpertKernel.class);
            assertThat(java).isInstanceOf(JavaExpertKernel.class);
            assertComputes(cpu);
        }
    }

    @Test
    void rejectsNegativeThreadsInsteadOfFallingBack() {
        assertThatThrownBy(() -> ExpertKernels.create(KernelBackend.CPU, WEIGHTS, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void openBlasLoadsHere() {
        assertThat(BackendProbe.openBlas().available()).as(BackendProbe.openBlas().reason()).isTrue();
    }

    @Test
    void backendsHaveSpecNames() {
        assertThat(KernelBackend.parse(" GPU ")).isEqualTo(KernelBackend.GPU);
        assertThat(KernelBackend.AUTO.specName()).isEqualTo("auto");
        assertThatThrownBy(() -> KernelBackend.parse("tpu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auto, cpu, gpu, java");
    }

    private static void assertComputes(ExpertKernel kernel) {
        int rows = 37;
        float[] x = RandomExperts.input(rows, 40, 5);
        float[] y = new float[rows * 40];
        float[] want = new float[rows * 40];
        kernel.forward(3, x, rows, y);
        try (JavaExpertKernel reference = new JavaExpertKernel(WEIGHTS)) {
            reference.forward(3, x, rows, want);
        }
        assertThat(OutputDistance.relativeL2(y, want, want.length)).isLessThan(ExpertKernelContract.TOLERANCE);
    }
}
