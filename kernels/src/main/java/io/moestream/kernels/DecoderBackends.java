package io.moestream.kernels;

import io.moestream.decoder.ComputeBackend;
import io.moestream.decoder.JavaBackend;
import io.moestream.decoder.Linear;
import io.moestream.decoder.MatMul;
import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;

import java.util.Map;

/**
 * The compute backend of a whole decoder for a requested {@link KernelBackend}, chosen once for all
 * of the model's kernels and falling back as {@link ExpertKernels} does: experts on the GPU when
 * one is usable and asked for, else OpenBLAS, else plain Java. Dense projections (attention and the
 * output head) run on OpenBLAS whenever it loads, the GPU included: only the expert FFNs have a
 * CUDA kernel.
 */
public final class DecoderBackends {

    private static final System.Logger LOG = System.getLogger(DecoderBackends.class.getName());

    private DecoderBackends() {
    }

    /** @param threads OpenBLAS threads, or 0 to keep OpenBLAS's own setting */
    public static Selected create(KernelBackend requested, int threads) {
        OpenBlasLibrary.checkThreads(threads);
        BackendProbe blas = BackendProbe.openBlas();
        KernelBackend experts;
        String why;
        if (requested == KernelBackend.JAVA) {
            experts = KernelBackend.JAVA;
            why = "java requested";
        } else if ((requested == KernelBackend.GPU || requested == KernelBackend.AUTO) && BackendProbe.gpu().available()) {
            experts = KernelBackend.GPU;
            why = BackendProbe.gpu().reason();
        } else {
            String gpu = requested == KernelBackend.CPU ? "cpu requested" : "no usable GPU: " + BackendProbe.gpu().reason();
            experts = blas.available() ? KernelBackend.CPU : KernelBackend.JAVA;
            why = blas.available() ? gpu : gpu + "; " + blas.reason();
        }
        boolean blasLinear = requested != KernelBackend.JAVA && blas.available();
        if (blasLinear) {
            OpenBlasLibrary.threads(threads);
        }
        BackendStatus status = new BackendStatus(requested, experts, why);
        Backend backend = new Backend(experts, blasLinear, threads);
        LOG.log(status.fellBack() ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                "decoder: {0} requested, running {1}: {2}", requested.specName(), backend.description(), why);
        return new Selected(backend, status);
    }

    /** A backend and why it was chosen. */
    public record Selected(ComputeBackend backend, BackendStatus status) {
    }

    private static final class Backend implements ComputeBackend {

        private final KernelBackend experts;
        private final boolean blasLinear;
        private final int threads;
        private final JavaBackend java = new JavaBackend();
        /**
         * The projections' shared input and output buffers; JavaCPP frees them when the backend is
         * unreachable, since a model's projections may outlive any one close.
         */
        private final NativeFloats linearIn = new NativeFloats();
        private final NativeFloats linearOut = new NativeFloats();
        private MatMul matMul;

        Backend(KernelBackend experts, boolean blasLinear, int threads) {
            this.experts = experts;
            this.blasLinear = blasLinear;
            this.threads = threads;
        }

        @Override
        public Linear linear(float[] weight, int out, int in) {
            return blasLinear ? new OpenBlasLinear(weight, out, in, linearIn, linearOut) : java.linear(weight, out, in);
        }

        /** One for the model: its products run one at a time, so they share their native buffers. */
        @Override
        public synchronized MatMul matMul() {
            if (matMul == null) {
                matMul = blasLinear ? new OpenBlasMatMul() : java.matMul();
            }
            return matMul;
        }

        @Override
        public ExpertKernel experts(Map<Integer, ExpertWeights> weights) {
            return switch (experts) {
                case GPU -> new CudaExpertKernel(weights);
                case CPU -> new OpenBlasExpertKernel(weights, threads);
                case JAVA, AUTO -> new JavaExpertKernel(weights);
            };
        }

        @Override
        public String description() {
            String dense = blasLinear ? "openblas, " + OpenBlasLibrary.settings() : "java";
            return switch (experts) {
                case GPU -> "experts gpu, dense " + dense;
                case CPU -> "cpu (" + dense + ")";
                case JAVA, AUTO -> blasLinear ? "experts java, dense " + dense : "java";
            };
        }
    }
}
