package io.moestream.decoder;

import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;

import java.util.Map;

/** The plain-Java backend: always there, slow; the reference the native backends are checked against. */
public final class JavaBackend implements ComputeBackend {

    @Override
    public Linear linear(float[] weight, int out, int in) {
        return new JavaLinear(weight, out, in);
    }

    @Override
    public ExpertKernel experts(Map<Integer, ExpertWeights> weights) {
        return new JavaExpertKernel(weights);
    }

    @Override
    public MatMul matMul() {
        return new JavaMatMul();
    }

    @Override
    public String description() {
        return "java";
    }
}
