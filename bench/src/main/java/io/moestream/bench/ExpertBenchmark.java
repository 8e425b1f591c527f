package io.moestream.bench;

import io.moestream.expert.ExpertWeights;
import io.moestream.kernels.OpenBlasExpertKernel;
import org.bytedeco.javacpp.FloatPointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

/**
 * One expert FFN on {@code tokens} rows through {@link OpenBlasExpertKernel} (copy in, sgemm with W1 and
 * W3 stacked, SwiGLU gate, sgemm with W2, copy out), against the same two {@code cblas_sgemm} calls on the
 * same native operands with nothing around them: the ratio is what the kernel adds to the GEMMs. OpenBLAS
 * threads are process-wide and come from {@code OPENBLAS_NUM_THREADS} for both.
 *
 * <p>The two are one benchmark with a {@code variant} parameter rather than two methods because JMH runs
 * parameter values innermost: kernel and sgemm of each shape run back to back, so the load that other
 * processes put on a shared machine drifts less between the two halves of a ratio.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class ExpertBenchmark {

    /**
     * {@code d x F} of one expert. mixtral-small: Mixtral 8x7B's 4096 x 14336 with both divided by 4, so
     * that a T = 4096 batch stays under a second on two cores; olmoe: OLMoE-1B-7B's experts as they are.
     */
    public record Shape(String name, int hidden, int ffn) {

        static final List<Shape> ALL = List.of(new Shape("mixtral-small", 1024, 3584), new Shape("olmoe", 2048, 1024));

        static Shape named(String name) {
            return ALL.stream().filter(s -> s.name.equals(name)).findFirst().orElseThrow();
        }

        /** {@code 2 T d 2F} for the stacked W1/W3 GEMM plus {@code 2 T F d} for W2. */
        public double flops(int tokens) {
            return 2.0 * tokens * hidden * 2 * ffn + 2.0 * tokens * ffn * hidden;
        }
    }

    @Param({"mixtral-small", "olmoe"})
    public String shape;

    @Param({"64", "512", "4096"})
    public int tokens;

    /** {@code kernel}: the expert kernel; {@code sgemm}: its two sgemm calls alone. */
    @Param({"kernel", "sgemm"})
    public String variant;

    private int d;
    private int f;
    private OpenBlasExpertKernel kernel;
    private float[] x;
    private float[] y;
    private FloatPointer rawX;
    private FloatPointer rawW13;
    private FloatPointer rawH;
    private FloatPointer rawW2;
    private FloatPointer rawY;

    @Setup
    public void setUp() {
        Shape s = Shape.named(shape);
        d = s.hidden();
        f = s.ffn();
        SplittableRandom random = new SplittableRandom(42);
        ExpertWeights weights = Uniform.expert(random, d, f);
        x = Uniform.floats(random, tokens * d, 1);
        y = new float[tokens * d];
        kernel = new OpenBlasExpertKernel(Map.of(0, weights), 0);
        rawX = new FloatPointer(x);
        rawW13 = new FloatPointer(2L * f * d);
        rawW13.put(weights.w1()).position((long) f * d).put(weights.w3()).position(0);
        rawH = new FloatPointer((long) tokens * 2 * f);
        rawW2 = new FloatPointer(weights.w2());
        rawY = new FloatPointer((long) tokens * d);
    }

    @TearDown
    public void tearDown() {
        kernel.close();
        for (FloatPointer p : new FloatPointer[] {rawX, rawW13, rawH, rawW2, rawY}) {
            p.close();
        }
    }

    @Benchmark
    public Object expertFfn() {
        if (variant.equals("kernel")) {
            kernel.forward(0, x, tokens, y);
            return y;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tokens, 2 * f, d, 1f, rawX, d, rawW13, d, 0f, rawH, 2 * f);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tokens, d, f, 1f, rawH, 2 * f, rawW2, f, 0f, rawY, d);
        return rawY;
    }
}
