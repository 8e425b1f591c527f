package io.moestream.kernels;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OpenBlasLibraryTest {

    static final String EPYC = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 avx512f avx512dq\n";
    static final String EPYC_WITHOUT_AVX512 = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 avx512_bf16x\n";
    static final String XEON = "vendor_id\t: GenuineIntel\nflags\t\t: fpu avx2 avx512f\n";

    @Test
    void warnsWithTheFixOnlyWhereOpenBlasMisdetects() {
        assertThat(OpenBlasLibrary.coreTypeAdvice(Map.of(), EPYC)).hasValueSatisfying(
                advice -> assertThat(advice).contains("OPENBLAS_CORETYPE=SKYLAKEX"));
        assertThat(OpenBlasLibrary.coreTypeAdvice(Map.of("OPENBLAS_CORETYPE", "SKYLAKEX"), EPYC)).isEmpty();
        assertThat(OpenBlasLibrary.coreTypeAdvice(Map.of(), EPYC_WITHOUT_AVX512)).isEmpty();
        assertThat(OpenBlasLibrary.coreTypeAdvice(Map.of(), XEON)).isEmpty();
        assertThat(OpenBlasLibrary.coreTypeAdvice(Map.of(), "")).isEmpty();
    }
}
