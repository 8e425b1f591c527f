package io.moestream.decoder;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;

import java.util.Map;

/**
 * Where the dense projections, attention's products and the expert FFNs of a decoder run: plain Java here
 * ({@link JavaBackend}), OpenBLAS or the GPU in the kernels module. The decoder itself only
 * calls these two factories, so every backend runs the same model code.
 */
public interface ComputeBackend {

    /** A projection over {@code weight} {@code [out][in]}; the backend may copy it to its own memory. */
    Linear linear(float[] weight, int out, int in);

    /** A kernel hosting {@code weights} by expert id (routed experts, shared experts or a dense MLP). */
    ExpertKernel experts(Map<Integer, ExpertWeights> weights);

    /** Products of activations with activations: attention over a prompt's cached keys and values. */
    MatMul matMul();

    /** Such as {@code java} or {@code cpu (openblas, 2 threads)}. */
    String description();
}
