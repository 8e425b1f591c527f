package io.moestream.bench;

import io.moestream.decoder.ComputeBackend;
import io.moestream.decoder.Linear;
import io.moestream.decoder.MatMul;
import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Records the matrix products a decoder runs while recording is on: every dense projection, every
 * expert FFN as the two sgemms the OpenBLAS expert kernel makes of it ({@code X W13^T} and
 * {@code G W2^T}), and attention's products over a prompt (an operand of the same size stands in
 * for the cached keys or values). Replayed as bare sgemms ({@link GemmReplay}), they are the time the step would
 * take if nothing but its matrix products cost anything: the bound the engine is measured against.
 */
final class GemmTrace {

    /** One sgemm: {@code [rows][in] x [out][in]^T} on the weight named {@code weight}. */
    record Gemm(int weight, int rows, int out, int in) {
    }

    private final List<Gemm> gemms = new ArrayList<>();
    private final Map<Integer, long[]> weightShapes = new HashMap<>();
    private final Map<Long, Integer> operands = new HashMap<>();
    private boolean recording;
    private int nextWeight;

    /** Wraps {@code backend} so that what its kernels compute is recorded here. */
    ComputeBackend wrap(ComputeBackend backend) {
        return new ComputeBackend() {
            @Override
            public Linear linear(float[] weight, int out, int in) {
                Linear inner = backend.linear(weight, out, in);
                int id = register(out, in);
                return new Linear() {
                    @Override
                    public void forward(float[] x, int rows, float[] y) {
                        record(id, rows, out, in);
                        inner.forward(x, rows, y);
                    }

                    @Override
                    public int in() {
                        return in;
                    }

                    @Override
                    public int out() {
                        return out;
                    }

                    @Override
                    public void close() {
                        inner.close();
                    }
                };
            }

            @Override
            public ExpertKernel experts(Map<Integer, ExpertWeights> weights) {
                ExpertKernel inner = backend.experts(weights);
                Map<Integer, int[]> ids = new HashMap<>();
                weights.forEach((e, w) -> ids.put(e, new int[] {register(2 * w.ffn(), w.hidden()),
                        register(w.hidden(), w.ffn()), w.hidden(), w.ffn()}));
                return new ExpertKernel() {
                    @Override
                    public void forward(int expert, float[] x, int rows, float[] y) {
                        int[] e = ids.get(expert);
                        if (e != null && rows > 0) {
                            record(e[0], rows, 2 * e[3], e[2]);
                            record(e[1], rows, e[2], e[3]);
                        }
                        inner.forward(expert, x, rows, y);
                    }

                    @Override
                    public String description() {
                        return inner.description();
                    }

                    @Override
                    public void close() {
                        inner.close();
                    }
                };
            }

            @Override
            public MatMul matMul() {
                MatMul inner = backend.matMul();
                return (m, n, k, a, aFrom, lda, b, bFrom, ldb, c, cFrom, ldc) -> {
                    record(operand(n, k), m, n, k);
                    inner.multiply(m, n, k, a, aFrom, lda, b, bFrom, ldb, c, cFrom, ldc);
                };
            }

            @Override
            public String description() {
                return backend.description();
            }
        };
    }

    /** One stand-in operand per shape: attention's change with every step, and need no buffer each. */
    private synchronized int operand(int out, int in) {
        return operands.computeIfAbsent(((long) out << 32) | in, shape -> register(out, in));
    }

    /** Records from now until {@link #stop()}, replacing what was recorded before. */
    void start() {
        gemms.clear();
        recording = true;
    }

    List<Gemm> stop() {
        recording = false;
        return Collections.unmodifiableList(new ArrayList<>(gemms));
    }

    /** Every weight's {@code [out, in]}, by the id the recorded gemms name. */
    Map<Integer, long[]> weightShapes() {
        return weightShapes;
    }

    private synchronized int register(int out, int in) {
        weightShapes.put(nextWeight, new long[] {out, in});
        return nextWeight++;
    }

    private synchronized void record(int weight, int rows, int out, int in) {
        if (recording) {
            gemms.add(new Gemm(weight, rows, out, in));
        }
    }
}
