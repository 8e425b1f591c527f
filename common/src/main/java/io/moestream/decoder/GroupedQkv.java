package io.moestream.decoder;

import io.moestream.model.AttentionWeights;
import io.moestream.model.DecoderConfig;
import io.moestream.model.QkNorm;

/**
 * The q, k and v projections of grouped-query attention, with each family's extras: Qwen2-MoE's
 * biases, OLMoE's and Qwen3-MoE's q/k norms, OLMoE's {@code clip_qkv}; then the rotate-half rotary
 * embedding on every query and key head.
 */
final class GroupedQkv implements QkvProjection {

    private final DecoderConfig config;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final float[] qBias;
    private final float[] kBias;
    private final float[] vBias;
    private final float[] qNorm;
    private final float[] kNorm;
    private final Rope rope;

    GroupedQkv(DecoderConfig config, AttentionWeights weights, ComputeBackend backend, Rope rope) {
        int d = config.hiddenSize();
        this.config = config;
        this.q = backend.linear(weights.q(), config.queryWidth(), d);
        this.k = backend.linear(weights.k(), config.keyValueWidth(), d);
        this.v = backend.linear(weights.v(), config.keyValueWidth(), d);
        this.qBias = weights.qBias();
        this.kBias = weights.kBias();
        this.vBias = weights.vBias();
        this.qNorm = weights.qNorm();
        this.kNorm = weights.kNorm();
        this.rope = rope;
    }

    @Override
    public int heads() {
        return config.numAttentionHeads();
    }

    @Override
    public int keyValueHeads() {
        return config.numKeyValueHeads();
    }

    @Override
    public int keyDim() {
        return config.headDim();
    }

    @Override
    public int valueDim() {
        return config.headDim();
    }

    @Override
    public float[][] project(float[] h, int tokens, int[] positionOf) {
        int qw = config.queryWidth();
        int kvw = config.keyValueWidth();
        float[] queries = project(q, h, tokens, qBias);
        float[] keys = project(k, h, tokens, kBias);
        float[] values = project(v, h, tokens, vBias);
        normalise(queries, tokens, qw, config.numAttentionHeads(), qNorm);
        normalise(keys, tokens, kvw, config.numKeyValueHeads(), kNorm);
        if (config.clipQkv() > 0) {
            clip(queries);
            clip(keys);
            clip(values);
        }
        for (int row = 0; row < tokens; row++) {
            double[] angles = rope.angles(positionOf[row]);
            rope.rotate(queries, row * qw, config.numAttentionHeads(), angles);
            rope.rotate(keys, row * kvw, config.numKeyValueHeads(), angles);
        }
        return new float[][] {queries, keys, values};
    }

    private static float[] project(Linear projection, float[] h, int tokens, float[] bias) {
        float[] y = new float[tokens * projection.out()];
        projection.forward(h, tokens, y);
        if (bias != null) {
            for (int t = 0; t < tokens; t++) {
                for (int i = 0; i < bias.length; i++) {
                    y[t * bias.length + i] += bias[i];
                }
            }
        }
        return y;
    }

    private void normalise(float[] x, int tokens, int width, int heads, float[] weight) {
        if (config.qkNorm() == QkNorm.NONE) {
            return;
        }
        // WHOLE: one slice per token; PER_HEAD: one slice per head, the weight shared.
        int slices = config.qkNorm() == QkNorm.WHOLE ? tokens : tokens * heads;
        int slice = width * tokens / slices;
        for (int s = 0; s < slices; s++) {
            RmsNorm.applyRow(x, s * slice, weight, config.rmsNormEps(), x, s * slice);
        }
    }

    private void clip(float[] x) {
        float clip = (float) config.clipQkv();
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.max(-clip, Math.min(clip, x[i]));
        }
    }

    @Override
    public void close() {
        q.close();
        k.close();
        v.close();
    }
}
