package io.moestream.kernels;

import io.moestream.expert.ExpertWeights;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.jcublas.JCublas2;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * Times the device part of {@link CudaExpertKernel#forward} alone: the GEMM with W1 and W3 stacked, the SwiGLU
 * gate and the GEMM with W2 on operands already on the GPU, between CUDA events, as PyTorch's side of the GPU
 * check is timed ({@code bench/torch-expert-ffn.py}). These are the launches of {@link DeviceContext#ffn}, which
 * {@link DeviceExperts#forward} makes between its two host copies.
 *
 * <p>This class sits in the bench module but in kernels' package (on the class path a package may span jars)
 * because those steps are package-private, and a benchmark is no reason to make them public. All its CUDA
 * calls run on the thread that made it, in the device's primary context, the one a {@link CudaExpertKernel}
 * uses too.
 */
public final class DeviceFfnTiming implements AutoCloseable {

    /** Milliseconds of each step and of the three together, one value per timed FFN. */
    public record Samples(double[] gemm13Ms, double[] gateMs, double[] gemm2Ms, double[] totalMs) {
    }

    private static final int WARM_UPS = 3;

    private final int hidden;
    private final int ffn;
    private final DeviceContext context;
    private DeviceExpert expert;
    private final DeviceFloats x = new DeviceFloats();
    private final DeviceFloats h = new DeviceFloats();
    private final DeviceFloats y = new DeviceFloats();
    /** Recorded before the first GEMM, after it, after the gate and after the second GEMM. */
    private final CUevent[] events = new CUevent[4];
    private final DeviceContext.LaunchHook recordEvents = boundary -> cuEventRecord(events[boundary], null);

    /**
     * Why JCublas2 does not load, in one line, or null when it does. Where it does not, the kernel runs the
     * PTX GEMM; asked before any kernel is made, the answer carries the loader's own reason (such as a
     * missing {@code libcublas.so.12}), which later attempts in the same JVM no longer see.
     */
    public static String cublasProblem() {
        try {
            JCublas2.initialize();
            return null;
        } catch (LinkageError e) {
            return Failures.summary(e);
        }
    }

    /**
     * Uploads one expert's weights to device 0.
     *
     * @param cublas whether to time cuBLAS's GEMM rather than the PTX one: pass what the kernel under test runs
     */
    public DeviceFfnTiming(ExpertWeights weights, boolean cublas) {
        hidden = weights.hidden();
        ffn = weights.ffn();
        context = new DeviceContext(kernels -> cublas ? new CublasGemm() : new PtxGemm(kernels));
        try {
            expert = new DeviceExpert(weights);
            for (int i = 0; i < events.length; i++) {
                CUevent event = new CUevent();
                cuEventCreate(event, CUevent_flags.CU_EVENT_DEFAULT);
                events[i] = event;
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** {@code cublas} or {@code ptx gemm}: the GEMM timed. */
    public String gemmName() {
        return context.gemmName();
    }

    /**
     * Times {@code repeats} FFNs of the first {@code tokens} rows of {@code input}, after a few unmeasured
     * ones. Each FFN is timed on its own, so the gaps between its launches count, as they do in the kernel.
     */
    public Samples time(float[] input, int tokens, int repeats) {
        long values = (long) tokens * hidden;
        if (input.length < values) {
            throw new IllegalArgumentException("input has " + input.length + " values, need " + values);
        }
        CUdeviceptr xs = x.ensure(values);
        CUdeviceptr hs = h.ensure((long) tokens * 2 * ffn);
        CUdeviceptr ys = y.ensure(values);
        cuMemcpyHtoD(xs, Pointer.to(input), values * Float.BYTES);
        for (int i = 0; i < WARM_UPS; i++) {
            ffn(tokens, xs, hs, ys);
        }
        double[][] steps = new double[4][repeats];
        float[] ms = {0};
        for (int r = 0; r < repeats; r++) {
            ffn(tokens, xs, hs, ys);
            cuEventSynchronize(events[3]);
            for (int s = 0; s < 3; s++) {
                cuEventElapsedTime(ms, events[s], events[s + 1]);
                steps[s][r] = ms[0];
            }
            cuEventElapsedTime(ms, events[0], events[3]);
            steps[3][r] = ms[0];
        }
        return new Samples(steps[0], steps[1], steps[2], steps[3]);
    }

    /** Y is written to a buffer of its own (the kernel reuses X's), so that every repeat reads the same X. */
    private void ffn(int tokens, CUdeviceptr xs, CUdeviceptr hs, CUdeviceptr ys) {
        context.ffn(expert, tokens, xs, hs, ys, recordEvents);
    }

    @Override
    public void close() {
        for (int i = 0; i < events.length; i++) {
            if (events[i] != null) {
                cuEventDestroy(events[i]);
                events[i] = null;
            }
        }
        x.close();
        h.close();
        y.close();
        if (expert != null) {
            expert.close();
            expert = null;
        }
        context.close();
    }
}
