package io.moestream.layer;

import java.util.List;

/**
 * Computes the expert FFNs a routing step of one MoE layer calls for, wherever the experts are
 * hosted: in this process ({@link LocalExperts}) or on the expert services, through Kafka (the dense
 * worker's). {@link MoeLayer} routes before and combines after, so every placement of the experts
 * shares one routing and one combine.
 */
public interface ExpertExecutor {

    /**
     * @param layer the decoder layer index of the MoE layer
     * @param x {@code [tokens][hidden]} row-major: the step's hidden states
     * @return for each call, in order, the outputs of its rows: {@code [tokens.length][hidden]} row-major
     */
    float[][] compute(int layer, float[] x, int hidden, List<ExpertCall> calls);

    /**
     * The routed experts this executor cannot reach now, ascending: the layer routes without them, as long
     * as top-k others are left. None for experts in this process.
     */
    default int[] unavailable() {
        return new int[0];
    }

    /** Gathers the rows {@code tokens} of {@code x} into one {@code [tokens.length][hidden]} batch. */
    static float[] gather(float[] x, int hidden, int[] tokens) {
        float[] batch = new float[tokens.length * hidden];
        for (int i = 0; i < tokens.length; i++) {
            System.arraycopy(x, tokens[i] * hidden, batch, i * hidden, hidden);
        }
        return batch;
    }
}
