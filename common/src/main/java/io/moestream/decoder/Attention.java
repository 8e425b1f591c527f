package io.moestream.decoder;

import io.moestream.model.AttentionWeights;
import io.moestream.model.DecoderConfig;
import io.moestream.model.QkNorm;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Causal self-attention of one layer with rotary embeddings and grouped-query attention, over each
 * sequence's KV cache. The projections run once for the whole step (all chunks' tokens as one
 * batch); the attention itself runs per sequence, since sequences never see each other.
 */
final class Attention implements AutoCloseable {

    /** Below this many score products a step's attention is not worth splitting across threads. */
    private static final long PARALLEL_WORK = 1L << 16;

    private final int layer;
    private final DecoderConfig config;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear o;
    private final float[] qBias;
    private final float[] kBias;
    private final float[] vBias;
    private final float[] qNorm;
    private final float[] kNorm;
    private final Rope rope;

    Attention(int layer, DecoderConfig config, AttentionWeights weights, ComputeBackend backend, Rope rope) {
        int d = config.hiddenSize();
        this.layer = layer;
        this.config = config;
        this.q = backend.linear(weights.q(), config.queryWidth(), d);
        this.k = backend.linear(weights.k(), config.keyValueWidth(), d);
        this.v = backend.linear(weights.v(), config.keyValueWidth(), d);
        this.o = backend.linear(weights.o(), d, config.queryWidth());
        this.qBias = weights.qBias();
        this.kBias = weights.kBias();
        this.vBias = weights.vBias();
        this.qNorm = weights.qNorm();
        this.kNorm = weights.kNorm();
        this.rope = rope;
    }

    /**
     * @param h {@code [tokens][hidden]}, the normed hidden states of the chunks' tokens in chunk order
     * @return {@code [tokens][hidden]}, the attention output after {@code o_proj}
     */
    float[] forward(float[] h, int tokens, List<Chunk> chunks) {
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
        int[] chunkOf = new int[tokens];
        int[] positionOf = new int[tokens];
        int row = 0;
        for (int c = 0; c < chunks.size(); c++) {
            Sequence sequence = chunks.get(c).sequence();
            int start = sequence.length();
            float[] cacheK = sequence.keys(layer);
            float[] cacheV = sequence.values(layer);
            for (int i = 0; i < chunks.get(c).tokens().length; i++, row++) {
                int position = start + i;
                double[] angles = rope.angles(position);
                rope.rotate(queries, row * qw, config.numAttentionHeads(), angles);
                rope.rotate(keys, row * kvw, config.numKeyValueHeads(), angles);
                int capacity = sequence.capacity();
                for (int x = 0; x < kvw; x++) {
                    cacheK[x * capacity + position] = keys[row * kvw + x];
                }
                System.arraycopy(values, row * kvw, cacheV, position * kvw, kvw);
                chunkOf[row] = c;
                positionOf[row] = position;
            }
        }
        float[] context = new float[tokens * qw];
        int heads = config.numAttentionHeads();
        IntStream work = IntStream.range(0, tokens * heads);
        long products = (long) tokens * heads * (positionOf[tokens - 1] + 1) * config.headDim();
        if (products >= PARALLEL_WORK) {
            work = work.parallel();
        }
        work.forEach(i -> attend(queries, i / heads, i % heads, chunks.get(chunkOf[i / heads]).sequence(),
                positionOf[i / heads], context));
        float[] out = new float[tokens * config.hiddenSize()];
        o.forward(context, tokens, out);
        return out;
    }

    /**
     * One head of one token: softmax over the cached positions it may see, then the weighted values,
     * both as sums of scaled contiguous rows of the cache (see {@link Sequence}), in F32 like the
     * projections around them.
     */
    private void attend(float[] queries, int row, int head, Sequence sequence, int position, float[] context) {
        int hd = config.headDim();
        int kvw = config.keyValueWidth();
        int kvHead = head / (config.numAttentionHeads() / config.numKeyValueHeads());
        float[] cacheK = sequence.keys(layer);
        float[] cacheV = sequence.values(layer);
        int capacity = sequence.capacity();
        int qFrom = row * config.queryWidth() + head * hd;
        int first = config.slidingWindow() > 0 ? Math.max(0, position - config.slidingWindow() + 1) : 0;
        int seen = position - first + 1;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] scores = new float[seen];
        for (int x = 0; x < hd; x++) {
            float q = queries[qFrom + x] * scale;
            int from = (kvHead * hd + x) * capacity + first;
            for (int j = 0; j < seen; j++) {
                scores[j] += q * cacheK[from + j];
            }
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < seen; j++) {
            max = Math.max(max, scores[j]);
        }
        double sum = 0;
        for (int j = 0; j < seen; j++) {
            scores[j] = (float) Math.exp(scores[j] - max);
            sum += scores[j];
        }
        float norm = (float) (1.0 / sum);
        float[] mixed = new float[hd];
        for (int j = 0; j < seen; j++) {
            float p = scores[j] * norm;
            int from = (first + j) * kvw + kvHead * hd;
            for (int x = 0; x < hd; x++) {
                mixed[x] += p * cacheV[from + x];
            }
        }
        System.arraycopy(mixed, 0, context, qFrom, hd);
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
        o.close();
    }
}
