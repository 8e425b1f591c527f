package io.moestream.kernels;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FailuresTest {

    @Test
    void picksTheLineThatSaysWhatIsMissing() {
        String jcuda = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "Operating system name: Linux\n"
                + "---(start of nested stack traces)---\n"
                + "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /lib\n"
                + "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2434)\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file\n"
                + "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2434)\n"
                + "---(end of nested stack traces)---\n";
        assertThat(Failures.summary(new UnsatisfiedLinkError(jcuda)))
                .isEqualTo("UnsatisfiedLinkError: /tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file");
    }

    @Test
    void keepsPlainMessagesAndNamesMessagelessOnes() {
        assertThat(Failures.summary(new IllegalStateException("no device\nmore"))).isEqualTo("IllegalStateException: no device");
        assertThat(Failures.summary(new NoClassDefFoundError())).isEqualTo("NoClassDefFoundError");
    }
}
