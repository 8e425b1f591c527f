package io.moestream.kernels;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs swiglu.cu's kernels on the CPU (src/test/cuda): the only check of their indexing, bounds and
 * barriers on a machine without a GPU. Needs g++ with C++20; skipped without it.
 */
class CudaKernelsOnCpuTest {

    static final Path SCRIPT = Path.of("src/test/cuda/run-kernels-on-cpu.sh");

    @Test
    void kernelsMatchDoublePrecisionLoops() throws IOException, InterruptedException {
        assumeTrue(onPath("g++"), "g++ is not installed");
        Process process = new ProcessBuilder("bash", SCRIPT.toString()).redirectErrorStream(true).start();
        boolean finished = process.waitFor(5, TimeUnit.MINUTES);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(finished).as("finished within 5 minutes").isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains(" passed, 0 failed");
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String directory : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(directory, command))) {
                return true;
            }
        }
        return false;
    }
}
