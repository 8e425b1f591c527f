package io.moestream.kernels;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpenBlasExpertKernelTest extends ExpertKernelContract {

    @Override
    ExpertKernel create(Map<Integer, ExpertWeights> weights) {
        return new OpenBlasExpertKernel(weights, 2);
    }

    @Test
    void saysItRunsOnOpenBlasWithItsThreads() {
        try (ExpertKernel kernel = create(Map.of(0, RandomExperts.expert(4, 3, 1)))) {
            assertThat(kernel.description()).startsWith("cpu (openblas, 2 threads");
        }
    }

    @Test
    void rejectsNegativeThreads() {
        assertThatThrownBy(() -> new OpenBlasExpertKernel(Map.of(), -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
