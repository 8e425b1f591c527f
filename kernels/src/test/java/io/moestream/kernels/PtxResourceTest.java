package io.moestream.kernels;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The committed PTX is what the Java side launches and what CudaDevice checks the driver against. */
class PtxResourceTest {

    @Test
    void declaresTheIsaTargetAndEntryPointsTheKernelExpects() throws IOException {
        String ptx;
        try (InputStream in = PtxKernels.class.getResourceAsStream(PtxKernels.RESOURCE)) {
            assertThat(in).as(PtxKernels.RESOURCE + " on the classpath").isNotNull();
            ptx = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        assertThat(ptx).contains(".version 8.0\n", ".target sm_75\n", ".visible .entry gemm_nt(",
                ".visible .entry swiglu_gate(");
        assertThat(CudaDevice.MIN_DRIVER_VERSION).isEqualTo(12000);
    }
}
