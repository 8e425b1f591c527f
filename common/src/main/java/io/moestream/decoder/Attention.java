package io.moestream.decoder;

import io.moestream.model.DecoderConfig;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Causal self-attention of one layer over each sequence's KV cache, with rotary embeddings applied
 * by its {@link QkvProjection} (grouped-query attention, or DeepSeek-V2's latent attention) and
 * queries sharing key/value heads in groups. The projections run once for the whole step (all
 * chunks' tokens as one batch); the attention itself runs per sequence, since sequences never see
 * each other.
 */
final class Attention implements AutoCloseable {

    /** Below this many score products a step's attention is not worth splitting across threads. */
    private static final long PARALLEL_WORK = 1L << 16;

    private final int layer;
    private final DecoderConfig config;
    private final QkvProjection qkv;
    private final Linear o;
    private final MatMul matMul;
    /** Per head: a key's (and query's) width, a value's width; all heads: queries', keys', values' widths. */
    private final int keyDim;
    private final int valueDim;
    private final int queryWidth;
    private final int keyWidth;
    private final int valueWidth;
    private final int group;

    Attention(int layer, DecoderConfig config, QkvProjection qkv, float[] oWeight, ComputeBackend backend) {
        this.layer = layer;
        this.config = config;
        this.qkv = qkv;
        this.keyDim = qkv.keyDim();
        this.valueDim = qkv.valueDim();
        this.queryWidth = qkv.heads() * keyDim;
        this.keyWidth = qkv.keyValueHeads() * keyDim;
        this.valueWidth = qkv.keyValueHeads() * valueDim;
        this.group = qkv.heads() / qkv.keyValueHeads();
        this.o = backend.linear(oWeight, config.hiddenSize(), qkv.heads() * valueDim);
        this.matMul = backend.matMul();
    }

    /**
     * @param h {@code [tokens][hidden]}, the normed hidden states of the chunks' tokens in chunk order
     * @return {@code [tokens][hidden]}, the attention output after {@code o_proj}
     */
    float[] forward(float[] h, int tokens, List<Chunk> chunks) {
        int[] chunkOf = new int[tokens];
        int[] positionOf = new int[tokens];
        int row = 0;
        for (int c = 0; c < chunks.size(); c++) {
            int start = chunks.get(c).sequence().length();
            for (int i = 0; i < chunks.get(c).tokens().length; i++, row++) {
                chunkOf[row] = c;
                positionOf[row] = start + i;
            }
        }
        float[][] projected = qkv.project(h, tokens, positionOf);
        float[] queries = projected[0];
        float[] keys = projected[1];
        float[] values = projected[2];
        for (row = 0; row < tokens; row++) {
            Sequence sequence = chunks.get(chunkOf[row]).sequence();
            int position = positionOf[row];
            float[] cacheK = sequence.keys(layer);
            int capacity = sequence.capacity();
            for (int x = 0; x < keyWidth; x++) {
                cacheK[x * capacity + position] = keys[row * keyWidth + x];
            }
            System.arraycopy(values, row * valueWidth, sequence.values(layer), position * valueWidth, valueWidth);
        }
        int heads = qkv.heads();
        float[] context = new float[tokens * heads * valueDim];
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
        long products = (long) singles.size() * heads * (positionOf[tokens - 1] + 1) * keyDim;
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
        int contextWidth = qkv.heads() * valueDim;
        int start = sequence.length();
        int seen = start + n;
        int capacity = sequence.capacity();
        float[] cacheK = sequence.keys(layer);
        float[] cacheV = sequence.values(layer);
        float[] weights = new float[n * seen];
        double scale = 1.0 / Math.sqrt(keyDim);
        for (int head = 0; head < qkv.heads(); head++) {
            int kvHead = head / group;
            matMul.multiply(n, seen, keyDim, queries, first * queryWidth + head * keyDim, queryWidth, cacheK,
                    kvHead * keyDim * capacity, capacity, weights, 0, seen);
            for (int i = 0; i < n; i++) {
                int position = start + i;
                int from = config.slidingWindow() > 0 ? Math.max(0, position - config.slidingWindow() + 1) : 0;
                softmax(weights, i * seen, from, position + 1, seen, scale);
            }
            matMul.multiply(n, valueDim, seen, weights, 0, seen, cacheV, kvHead * valueDim, valueWidth, context,
                    first * contextWidth + head * valueDim, contextWidth);
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
        int kvHead = head / group;
        float[] cacheK = sequence.keys(layer);
        float[] cacheV = sequence.values(layer);
        int capacity = sequence.capacity();
        int qFrom = row * queryWidth + head * keyDim;
        int first = config.slidingWindow() > 0 ? Math.max(0, position - config.slidingWindow() + 1) : 0;
        int seen = position - first + 1;
        float scale = (float) (1.0 / Math.sqrt(keyDim));
        float[] scores = new float[seen];
        for (int x = 0; x < keyDim; x++) {
            float q = queries[qFrom + x] * scale;
            int from = (kvHead * keyDim + x) * capacity + first;
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
        float[] mixed = new float[valueDim];
        for (int j = 0; j < seen; j++) {
            float p = scores[j] * norm;
            int from = (first + j) * valueWidth + kvHead * valueDim;
            for (int x = 0; x < valueDim; x++) {
                mixed[x] += p * cacheV[from + x];
            }
        }
        System.arraycopy(mixed, 0, context, (row * qkv.heads() + head) * valueDim, valueDim);
    }

    @Override
    public void close() {
        qkv.close();
        o.close();
    }
}
