package io.moestream.kernels;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Loads OpenBLAS (bytedeco's {@code openblas_nolapack}: the BLAS without LAPACK's 24 MB JNI library) and
 * sets its thread count.
 *
 * <p>Two environment variables matter, and both must be set before the JVM starts: OpenBLAS reads them
 * when its library loads, and Java cannot set environment variables.
 * <ul>
 * <li>{@code OPENBLAS_CORETYPE}: OpenBLAS 0.3.31 has been seen taking AMD EPYC CPUs with AVX-512 for
 * Haswell and running its AVX2 kernels, 2-3x slower than the AVX-512 ones that {@code SKYLAKEX} selects.
 * It must only be set where the CPU has AVX-512: machines of this project's kind differ, and on one whose
 * vCPU has none (it lists no {@code avx512f} in {@code /proc/cpuinfo}) {@code SKYLAKEX} killed the JVM with
 * SIGILL in the first sgemm. So the launcher sets it only when {@code /proc/cpuinfo} lists {@code avx512f},
 * and this class warns when it is missing on such an AMD CPU.
 * <li>{@code OPENBLAS_NUM_THREADS}: the thread count OpenBLAS starts with. A kernel given an explicit
 * thread count overrides it through {@code openblas_set_num_threads}, which bytedeco exposes as
 * {@link openblas_nolapack#blas_set_num_threads(int)}. The setting is process-wide.
 * </ul>
 */
final class OpenBlasLibrary {

    private static final System.Logger LOG = System.getLogger(OpenBlasLibrary.class.getName());
    static final String CORE_TYPE = "OPENBLAS_CORETYPE";
    static final String NUM_THREADS = "OPENBLAS_NUM_THREADS";

    private static boolean loaded;
    private static int threadsSet;

    private OpenBlasLibrary() {
    }

    /** Loads the library once. @throws LinkageError or RuntimeException when it does not load */
    static synchronized void load() {
        if (!loaded) {
            coreTypeAdvice(System.getenv(), cpuInfo()).ifPresent(advice -> LOG.log(System.Logger.Level.WARNING, advice));
            Loader.load(openblas_nolapack.class);
            loaded = true;
        }
    }

    /** Sets OpenBLAS's process-wide thread count; 0 keeps the count it loaded with. */
    static synchronized void threads(int threads) {
        checkThreads(threads);
        load();
        if (threads > 0) {
            openblas_nolapack.blas_set_num_threads(threads);
            threadsSet = threads;
        }
    }

    static void checkThreads(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be 0 (OpenBLAS's own setting) or positive, got " + threads);
        }
    }

    /** The settings in force, for descriptions and logs: threads and core type. */
    static synchronized String settings() {
        String threads = threadsSet > 0 ? threadsSet + (threadsSet == 1 ? " thread" : " threads")
                : Optional.ofNullable(System.getenv(NUM_THREADS)).map(n -> NUM_THREADS + "=" + n).orElse("default threads");
        String core = Optional.ofNullable(System.getenv(CORE_TYPE)).orElse("autodetected");
        return threads + ", core " + core;
    }

    /**
     * The warning to log when OpenBLAS is about to misdetect this CPU: {@code OPENBLAS_CORETYPE} unset on an
     * AMD CPU with AVX-512. Empty otherwise, including when the CPU cannot be read (not Linux).
     */
    static Optional<String> coreTypeAdvice(Map<String, String> environment, String cpuInfo) {
        boolean amdWithAvx512 = cpuInfo.contains("AuthenticAMD") && cpuInfo.matches("(?s).*\\bavx512f\\b.*");
        if (environment.containsKey(CORE_TYPE) || !amdWithAvx512) {
            return Optional.empty();
        }
        return Optional.of(CORE_TYPE + " is not set: OpenBLAS takes this AMD CPU with AVX-512 for Haswell and its"
                + " sgemm runs 2-3x slower. Start the JVM with " + CORE_TYPE + "=SKYLAKEX in its environment"
                + " (the ./moe launcher and bench/expert-bench.sh do).");
    }

    private static String cpuInfo() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
