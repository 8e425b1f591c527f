package io.moestream.bench;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;
import io.moestream.kernels.BackendProbe;
import io.moestream.kernels.DeviceFfnTiming;
import io.moestream.kernels.ExpertKernels;
import io.moestream.kernels.KernelBackend;
import io.moestream.kernels.SelectedKernel;
import io.moestream.layer.MoeLayer;
import io.moestream.layer.OutputDistance;
import org.openjdk.jmh.annotations.Param;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * The GPU check of issue #3: the Java half of {@code bench/gpu-check.sh run}, made to run once within a GPU
 * machine's short lease.
 * <ol>
 * <li>The GPU probe's verdict, whether cuBLAS loads, and the kernel's description (GPU and GEMM).
 * <li>The kernel against {@link JavaExpertKernel}, PASS or FAIL per case (relative L2 below 1e-4, as in the
 *     kernels' contract test): awkward shapes (one row, three rows, d and F off the GEMM's 64-wide tiles,
 *     several experts of different shapes in one kernel) and the benchmark shapes.
 * <li>Expert FFN TFLOP/s at {@link ExpertBenchmark}'s shapes and batch sizes, medians: the whole forward, host
 *     copies included, and the device part alone ({@link DeviceFfnTiming}, CUDA events).
 * <li>The layer's tokens/s per policy at {@link LayerBenchmark}'s shapes, batch sizes and policies.
 * </ol>
 * Shapes, batch sizes and policies are read from the benchmarks' JMH parameters, so the check measures what
 * they measure on the CPU. The JSON is rewritten after each step, so a run cut short keeps what it measured;
 * its {@code plan}, written first (GPU or not), is what {@code bench/torch-expert-ffn.py} times in PyTorch.
 *
 * <p>Arguments: {@code --out FILE} (the JSON), {@code --backend gpu|cpu|java} (default gpu; the others run the
 * same steps without a GPU, to try the check itself), {@code --tokens 64,512,4096} and
 * {@code --layer-tokens 512,4096} (instead of the benchmarks' batch sizes). Exit status: 0 when every step
 * ran and every case passed, 1 when a case failed or a step threw (the later steps still run), 3 when there is
 * no usable GPU.
 */
public final class GpuCheck {

    static final int EXIT_FAILED = 1;
    static final int EXIT_NO_GPU = 3;
    static final double TOLERANCE = 1e-4;

    /** hidden, ffn, rows; each case is one expert of one kernel, so the kernel also keeps shapes apart. */
    private static final int[][] AWKWARD = {
        {1, 1, 1}, {7, 5, 1}, {7, 5, 3}, {33, 65, 17}, {130, 257, 64}, {96, 40, 513}, {1000, 1000, 3},
        {1000, 1000, 130}, {1030, 3600, 67},
    };
    /** Batch sizes checked at the benchmark shapes besides the timed ones: a single row and a ragged few. */
    private static final int[] FEW_ROWS = {1, 3};
    private static final int DEVICE_REPEATS = 30;

    record FfnCase(String shape, int hidden, int ffn, int tokens, double flops) {
    }

    record Check(String shape, int hidden, int ffn, int tokens, double relativeL2, boolean pass) {
    }

    /** One batch size's medians: the whole forward, and (GPU only, else null) its device part and steps. */
    record FfnTiming(String shape, int hidden, int ffn, int tokens, double flops, String kernel, int calls,
                     double forwardMs, double forwardTflops, Double deviceMs, Double deviceTflops, Double gemm13Ms,
                     Double gateMs, Double gemm2Ms) {

        FfnTiming withDevice(DeviceFfnTiming.Samples s) {
            double total = median(s.totalMs());
            return new FfnTiming(shape, hidden, ffn, tokens, flops, kernel, calls, forwardMs, forwardTflops, total,
                    tflops(flops, total), median(s.gemm13Ms()), median(s.gateMs()), median(s.gemm2Ms()));
        }
    }

    record LayerTiming(String shape, int tokens, String policy, String kernel, int calls, double msPerForward,
                       double tokensPerSecond, double timeOverDropless) {
    }

    private final KernelBackend backend;
    private final Path out;
    private final int[] tokens;
    private final int[] layerTokens;
    private final Map<String, Object> report = new LinkedHashMap<>();
    private final List<Check> checks = new ArrayList<>();
    private final List<FfnTiming> ffn = new ArrayList<>();
    private final List<LayerTiming> layer = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    private GpuCheck(KernelBackend backend, Path out, int[] tokens, int[] layerTokens) {
        this.backend = backend;
        this.out = out;
        this.tokens = tokens;
        this.layerTokens = layerTokens;
    }

    public static void main(String[] args) {
        Map<String, String> options = new TreeMap<>(Map.of(
                "--out", "bench/target/gpu-check/java.json",
                "--backend", "gpu",
                "--tokens", String.join(",", params(ExpertBenchmark.class, "tokens")),
                "--layer-tokens", String.join(",", params(LayerBenchmark.Layer.class, "batch"))));
        for (int i = 0; i < args.length; i += 2) {
            if (!options.containsKey(args[i]) || i + 1 == args.length) {
                throw new IllegalArgumentException("usage: GpuCheck [OPTION VALUE]..., options and defaults: " + options);
            }
            options.put(args[i], args[i + 1]);
        }
        GpuCheck check = new GpuCheck(KernelBackend.parse(options.get("--backend")), Path.of(options.get("--out")),
                ints(options.get("--tokens")), ints(options.get("--layer-tokens")));
        System.exit(check.run());
    }

    private int run() {
        System.out.printf("== GpuCheck: backend %s, Java %s at %s%n", backend.specName(),
                System.getProperty("java.version"), System.getProperty("java.home"));
        report.put("backend", backend.specName());
        report.put("plan", plan());
        write();
        if (backend == KernelBackend.GPU) {
            BackendProbe probe = BackendProbe.gpu();
            report.put("probe", probe);
            System.out.printf("GPU probe: %s: %s%n", probe.available() ? "available" : "UNAVAILABLE", probe.reason());
            if (!probe.available()) {
                System.out.println("no usable GPU: the GPU steps are skipped");
                report.put("status", "no-gpu");
                write();
                return EXIT_NO_GPU;
            }
            String cublas = DeviceFfnTiming.cublasProblem();
            report.put("cublas", cublas == null ? "loads" : cublas);
            System.out.println("cuBLAS (JCublas2, needs libcublas.so.12): "
                    + (cublas == null ? "loads, so the kernel's GEMMs are cuBLAS's" : "does not load, so the kernel's GEMMs"
                    + " are the PTX kernel's: " + cublas));
        }
        step("awkward shapes", this::awkwardShapes);
        for (ExpertBenchmark.Shape shape : ExpertBenchmark.Shape.ALL) {
            step("expert FFN " + shape.name(), () -> benchShape(shape));
        }
        for (String shape : params(LayerBenchmark.Layer.class, "model")) {
            step("layer " + shape, () -> layer(shape));
        }
        long failed = checks.stream().filter(c -> !c.pass()).count();
        String status = failed == 0 && failures.isEmpty() ? "passed" : "failed";
        report.put("status", status);
        write();
        System.out.printf("%n== GpuCheck %s: %d of %d correctness cases passed, %d steps threw%s%n", status.toUpperCase(),
                checks.size() - failed, checks.size(), failures.size(), failures.isEmpty() ? "" : ": " + failures);
        return status.equals("passed") ? 0 : EXIT_FAILED;
    }

    private List<FfnCase> plan() {
        List<FfnCase> plan = new ArrayList<>();
        for (ExpertBenchmark.Shape shape : ExpertBenchmark.Shape.ALL) {
            for (int t : tokens) {
                plan.add(new FfnCase(shape.name(), shape.hidden(), shape.ffn(), t, shape.flops(t)));
            }
        }
        return plan;
    }

    /** Runs one step; what it throws fails the check, and the next steps still run. */
    private void step(String name, Runnable step) {
        System.out.printf("%n== %s%n", name);
        try {
            step.run();
        } catch (RuntimeException | Error e) {
            System.out.println("FAIL  " + name + " threw:");
            e.printStackTrace(System.out);
            failures.add(name + ": " + e);
        }
        report.put("correctness", checks);
        report.put("ffn", ffn);
        report.put("layer", layer);
        report.put("failures", failures);
        write();
    }

    private void awkwardShapes() {
        Map<Integer, ExpertWeights> weights = new TreeMap<>();
        for (int e = 0; e < AWKWARD.length; e++) {
            weights.put(e, Uniform.expert(new SplittableRandom(e), AWKWARD[e][0], AWKWARD[e][1]));
        }
        try (ExpertKernel kernel = open(weights)) {
            for (int e = 0; e < AWKWARD.length; e++) {
                check(kernel, "awkward", e, weights.get(e), AWKWARD[e][2]);
            }
        }
    }

    /** Correctness at a benchmark shape (a few rows and the timed batches), then the timings. */
    private void benchShape(ExpertBenchmark.Shape shape) {
        ExpertWeights w = Uniform.expert(new SplittableRandom(42), shape.hidden(), shape.ffn());
        boolean cublas;
        try (ExpertKernel kernel = open(Map.of(0, w))) {
            for (int t : FEW_ROWS) {
                check(kernel, shape.name(), 0, w, t);
            }
            for (int t : tokens) {
                check(kernel, shape.name(), 0, w, t);
            }
            // The description names the kernel's GEMM ("cublas" or "ptx gemm"); the device-only timing runs the same.
            cublas = kernel.description().contains("cublas");
            System.out.printf("%s; medians%n%-14s %6s %6s %11s %9s%n", kernel.description(), "shape", "T", "calls",
                    "forward ms", "TFLOP/s");
            for (int t : tokens) {
                float[] x = input(t, shape.hidden());
                float[] y = new float[x.length];
                double[] ms = timeCalls(() -> kernel.forward(0, x, t, y), 10);
                double median = median(ms);
                double flops = shape.flops(t);
                ffn.add(new FfnTiming(shape.name(), shape.hidden(), shape.ffn(), t, flops, kernel.description(),
                        ms.length, median, tflops(flops, median), null, null, null, null, null));
                System.out.printf("%-14s %6d %6d %11.3f %9.2f%n", shape.name(), t, ms.length, median,
                        tflops(flops, median));
            }
        }
        if (backend == KernelBackend.GPU) {
            step("device only " + shape.name(), () -> deviceOnly(shape, w, cublas));
        }
    }

    /** Adds to each of the shape's timings its device part, timed by CUDA events on the same input. */
    private void deviceOnly(ExpertBenchmark.Shape shape, ExpertWeights w, boolean cublas) {
        try (DeviceFfnTiming device = new DeviceFfnTiming(w, cublas)) {
            System.out.printf("%s, medians of %d FFNs by CUDA events%n%-14s %6s %11s %9s %8s %8s %8s%n",
                    device.gemmName(), DEVICE_REPEATS, "shape", "T", "device ms", "TFLOP/s", "W13 ms", "gate ms",
                    "W2 ms");
            for (int t : tokens) {
                int i = indexOf(shape.name(), t);
                FfnTiming f = ffn.get(i).withDevice(device.time(input(t, shape.hidden()), t, DEVICE_REPEATS));
                ffn.set(i, f);
                System.out.printf("%-14s %6d %11.3f %9.2f %8.3f %8.3f %8.3f%n", shape.name(), t, f.deviceMs(),
                        f.deviceTflops(), f.gemm13Ms(), f.gateMs(), f.gemm2Ms());
            }
        }
    }

    private int indexOf(String shape, int t) {
        for (int i = 0; i < ffn.size(); i++) {
            if (ffn.get(i).shape().equals(shape) && ffn.get(i).tokens() == t) {
                return i;
            }
        }
        throw new IllegalStateException("no forward timing of " + shape + " at T=" + t);
    }

    private void layer(String shapeName) {
        BenchLayer bench = new BenchLayer(shapeName);
        String[] policies = params(LayerBenchmark.Routing.class, "policy");
        try (ExpertKernel kernel = open(bench.weights)) {
            System.out.printf("%-14s %6s %-14s %6s %11s %11s %8s   (%s)%n", "shape", "T", "policy", "calls",
                    "ms/forward", "tokens/s", "x drop.", kernel.description());
            for (int t : layerTokens) {
                float[] x = bench.hiddenStates(t);
                double dropless = Double.NaN;
                for (String policy : policies) {
                    MoeLayer moe = bench.layer(policy, kernel);
                    double[] ms = timeCalls(() -> moe.forward(x, t, 0), 5);
                    double median = median(ms);
                    if (policy.equals("dropless")) {
                        dropless = median;
                    }
                    LayerTiming timing = new LayerTiming(shapeName, t, policy, kernel.description(), ms.length, median,
                            t / (median / 1000), median / dropless);
                    layer.add(timing);
                    System.out.printf("%-14s %6d %-14s %6d %11.2f %11.0f %8.2f%n", shapeName, t, policy, ms.length,
                            median, timing.tokensPerSecond(), timing.timeOverDropless());
                }
            }
        }
    }

    /** The requested backend's kernel; a fallback to another backend is an error here, not a choice. */
    private ExpertKernel open(Map<Integer, ExpertWeights> weights) {
        SelectedKernel selected = ExpertKernels.create(backend, weights, 0);
        if (selected.status().active() != backend) {
            selected.kernel().close();
            throw new IllegalStateException("the " + backend.specName() + " kernel did not start: "
                    + selected.status().reason());
        }
        return selected.kernel();
    }

    private void check(ExpertKernel kernel, String shape, int expert, ExpertWeights w, int rows) {
        float[] x = input(rows, w.hidden());
        float[] y = new float[x.length];
        kernel.forward(expert, x, rows, y);
        double error = OutputDistance.relativeL2(y, reference(w, x, rows));
        Check c = new Check(shape, w.hidden(), w.ffn(), rows, error, error < TOLERANCE);
        checks.add(c);
        System.out.printf("%s  %-14s d=%-5d F=%-5d T=%-5d relative L2 %.2e%n", c.pass() ? "PASS" : "FAIL", shape,
                w.hidden(), w.ffn(), rows, error);
    }

    /** The reference output, rows split over the cores: JavaExpertKernel is exact but slow. */
    private static float[] reference(ExpertWeights w, float[] x, int rows) {
        int d = w.hidden();
        int chunk = 8;
        float[] y = new float[rows * d];
        IntStream.range(0, (rows + chunk - 1) / chunk).parallel().forEach(c -> {
            int from = c * chunk;
            int n = Math.min(chunk, rows - from);
            float[] part = new float[n * d];
            // One kernel per chunk: the ExpertKernel contract promises no thread-safety.
            try (JavaExpertKernel reference = new JavaExpertKernel(Map.of(0, w))) {
                reference.forward(0, Arrays.copyOfRange(x, from * d, (from + n) * d), n, part);
            }
            System.arraycopy(part, 0, y, from * d, n * d);
        });
        return y;
    }

    /**
     * Milliseconds of each call, after unmeasured ones (the JIT, scratch buffers growing to the batch, the
     * GPU's clocks rising): at least {@code minCalls} calls and half a second, at most 200 calls.
     */
    private static double[] timeCalls(Runnable call, int minCalls) {
        long warmUntil = System.nanoTime() + 200_000_000L;
        for (int i = 0; i < 2 || System.nanoTime() < warmUntil; i++) {
            call.run();
        }
        List<Double> ms = new ArrayList<>();
        long start = System.nanoTime();
        while (ms.size() < 200 && (ms.size() < minCalls || System.nanoTime() - start < 500_000_000L)) {
            long t0 = System.nanoTime();
            call.run();
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        return ms.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double tflops(double flops, double ms) {
        return flops / (ms * 1e9);
    }

    private static float[] input(int rows, int hidden) {
        return Uniform.floats(new SplittableRandom(rows), rows * hidden, 1);
    }

    /** The values of a benchmark's JMH {@code @Param} field: one list of what is measured, CPU or GPU. */
    static String[] params(Class<?> state, String field) {
        try {
            return state.getField(field).getAnnotation(Param.class).value();
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int[] ints(String list) {
        return Arrays.stream(list.split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
    }

    private void write() {
        try {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, ReportJson.of(report));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
