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
    private final MatMul matMul;

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
        this.matMul = backend.matMul();
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
        // A chunk of several tokens (a prompt) attends as two matrix products per head; single tokens
        // (decode) are too small for that to pay, and attend one by one, in parallel.
        List<Integer> singles = new java.util.ArrayList<>();
        int start = 0;
        for (Chunk chunk : chunks) {
            int n = chunk.tokens().length;
            if (n > 1) {
                attendChunk(queries, start, n, chunk.sequence(), context);
            } else {
                singles.add(start);
            }
            start += n;
        }
        IntStream work = IntStream.range(0, singles.size() * heads);
        long products = (long) singles.size() * heads * (positionOf[tokens - 1] + 1) * config.headDim();
        if (products >= PARALLEL_WORK) {
            work = work.parallel();
        }
        work.forEach(i -> {
            int r = singles.get(i / heads);
            attend(queries, r, i % heads, chunks.get(chunkOf[r]).sequence(), positionOf[r], context);
        });
        float[] out = new float[tokens * config.hiddenSize()];
        o.forward(context, tokens, out);
        return out;
    }

    /**
     * The {@code n} tokens of one chunk, from row {@code first}: per head, their scores against
     * every cached position as one product with the transposed keys, the causal (and sliding
     * window) mask and softmax row by row, then one product of the weights with the values.
     */
    private void attendChunk(float[] queries, int first, int n, Sequence sequence, float[] context) {
        int hd = config.headDim();
        int qw = config.queryWidth();
        int kvw = config.keyValueWidth();
        int group = config.numAttentionHeads() / config.numKeyValueHeads();
        int start = sequence.length();
        int seen = start + n;
        int capacity = sequence.capacity();
        float[] cacheK = sequence.keys(layer);
        float[] cacheV = sequence.values(layer);
        float[] weights = new float[n * seen];
        double scale = 1.0 / Math.sqrt(hd);
        for (int head = 0; head < config.numAttentionHeads(); head++) {
            int kvHead = head / group;
            matMul.multiply(n, seen, hd, queries, first * qw + head * hd, qw, cacheK, kvHead * hd * capacity,
                    capacity, weights, 0, seen);
            for (int i = 0; i < n; i++) {
                int position = start + i;
                int from = config.slidingWindow() > 0 ? Math.max(0, position - config.slidingWindow() + 1) : 0;
                softmax(weights, i * seen, from, position + 1, seen, scale);
            }
            matMul.multiply(n, hd, seen, weights, 0, seen, cacheV, kvHead * hd, kvw, context, first * qw + head * hd, qw);
        }
    }

    /** Softmax of {@code scale * row[from..to)} in place, every other entry of the row set to 0. */
    private static void softmax(float[] row, int offset, int from, int to, int length, double scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            max = Math.max(max, row[offset + j] * scale);
        }
        double sum = 0;
        for (int j = from; j < to; j++) {
            double e = Math.exp(row[offset + j] * scale - max);
            row[offset + j] = (float) e;
            sum += e;
        }
        float norm = (float) (1.0 / sum);
        for (int j = 0; j < length; j++) {
            row[offset + j] = j >= from && j < to ? row[offset + j] * norm : 0f;
        }
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
