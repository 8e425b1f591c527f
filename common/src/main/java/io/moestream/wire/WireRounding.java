package io.moestream.wire;

import io.moestream.layer.ExpertCall;
import io.moestream.layer.ExpertExecutor;
import java.util.List;

/**
 * Experts computed in process as if their rows crossed the wire in {@code wireType} both ways: the
 * in-process reference of a pipeline that sends hidden states as F16 or BF16, so that the two
 * compute on the same numbers.
 */
public record WireRounding(ExpertExecutor experts, WireType wireType) implements ExpertExecutor {

    @Override
    public float[][] compute(int layer, float[] x, int hidden, List<ExpertCall> calls) {
        float[][] outputs = experts.compute(layer, wireType.round(x), hidden, calls);
        for (int c = 0; c < outputs.length; c++) {
            outputs[c] = wireType.round(outputs[c]);
        }
        return outputs;
    }
}
