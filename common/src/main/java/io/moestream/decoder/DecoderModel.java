package io.moestream.decoder;

import io.moestream.layer.ExpertExecutor;
import io.moestream.layer.LayerOutput;
import io.moestream.layer.MoeLayer;
import io.moestream.model.DecoderConfig;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * A loaded model under one routing configuration. A {@link #step} takes new tokens of several
 * sequences at once: attention runs per sequence over its cache, and each MoE layer routes all of
 * the step's tokens together as one routing step from {@code sourceRank}, as an expert-parallel
 * rank routes the batch it holds. Prefill is a step with whole prompts; decode a step with one
 * token per sequence. Not thread-safe: one step at a time.
 */
public final class DecoderModel {

    private final DecoderEngine engine;
    private final DecoderConfig config;
    private final RoutingConfig routing;
    /** Per layer, its MoE block under this routing, or {@code null} for a dense layer. */
    private final List<MoeLayer> moe;

    DecoderModel(DecoderEngine engine, RoutingConfig routing, Placement placement, ExpertExecutor executor) {
        this.engine = engine;
        this.config = engine.config();
        this.routing = routing;
        List<MoeLayer> blocks = new ArrayList<>();
        for (DecoderLayer layer : engine.layers()) {
            blocks.add(layer.isMoe() ? layer.moe(routing, placement, executor) : null);
        }
        this.moe = Collections.unmodifiableList(blocks);
    }

    public DecoderConfig config() {
        return config;
    }

    public RoutingConfig routing() {
        return routing;
    }

    /** Whether {@code other} runs the same loaded weights, under whatever routing. */
    boolean sameWeights(DecoderModel other) {
        return engine == other.engine;
    }

    /** A new, empty sequence for this model. */
    public Sequence newSequence() {
        return new Sequence(config.numHiddenLayers(), config.cacheKeyWidth(), config.cacheValueWidth(),
                config.maxPositionEmbeddings());
    }

    /**
     * Runs the chunks' tokens through every layer, appends them to their sequences' caches, and
     * returns the logits of the rows asked for.
     *
     * @throws IllegalArgumentException for a token id outside the vocabulary, a sequence that would
     *         exceed {@code max_position_embeddings}, or a sequence given twice; the sequences are
     *         then unchanged
     */
    public StepOutput step(List<Chunk> chunks, int sourceRank, LogitRows rows) {
        int d = config.hiddenSize();
        int tokens = check(chunks);
        float[] x = embed(chunks, tokens);
        float[] normed = new float[tokens * d];
        float[] ffn = new float[tokens * d];
        List<LayerRouting> routings = new ArrayList<>();
        for (DecoderLayer layer : engine.layers()) {
            RmsNorm.apply(x, tokens, layer.inputNorm(), config.rmsNormEps(), normed);
            add(x, layer.attention().forward(normed, tokens, chunks));
            RmsNorm.apply(x, tokens, layer.postAttentionNorm(), config.rmsNormEps(), normed);
            MoeLayer block = moe.get(layer.index());
            if (block == null) {
                layer.dense(normed, tokens, ffn);
                add(x, ffn);
            } else {
                LayerOutput out = block.forward(normed, tokens, sourceRank);
                routings.add(new LayerRouting(layer.index(), out.routing(), out.avoided()));
                add(x, out.output());
            }
        }
        for (Chunk chunk : chunks) {
            chunk.sequence().advance(chunk.tokens().length);
        }
        return logits(x, chunks, tokens, rows, routings);
    }

    private StepOutput logits(float[] x, List<Chunk> chunks, int tokens, LogitRows rows, List<LayerRouting> routings) {
        int d = config.hiddenSize();
        int count = rows == LogitRows.ALL ? tokens : chunks.size();
        float[] selected = new float[count * d];
        if (rows == LogitRows.ALL) {
            RmsNorm.apply(x, tokens, engine.finalNorm(), config.rmsNormEps(), selected);
        } else {
            int end = 0;
            for (int c = 0; c < chunks.size(); c++) {
                end += chunks.get(c).tokens().length;
                RmsNorm.applyRow(x, (end - 1) * d, engine.finalNorm(), config.rmsNormEps(), selected, c * d);
            }
        }
        int vocab = config.vocabSize();
        float[] logits = new float[count * vocab];
        engine.lmHead().forward(selected, count, logits);
        return new StepOutput(logits, count, vocab, routings);
    }

    private int check(List<Chunk> chunks) {
        if (chunks.isEmpty()) {
            throw new IllegalArgumentException("a step needs at least one chunk");
        }
        Set<Sequence> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        int tokens = 0;
        for (Chunk chunk : chunks) {
            if (!seen.add(chunk.sequence())) {
                throw new IllegalArgumentException("a sequence appears twice in one step");
            }
            for (int i = 0; i < chunk.tokens().length; i++) {
                int id = chunk.tokens()[i];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " at position "
                            + (chunk.sequence().length() + i) + " is outside the vocabulary 0.." + (config.vocabSize() - 1));
                }
            }
            tokens = Math.addExact(tokens, chunk.tokens().length);
        }
        for (Chunk chunk : chunks) {
            chunk.sequence().reserve(chunk.tokens().length);
        }
        return tokens;
    }

    private float[] embed(List<Chunk> chunks, int tokens) {
        int d = config.hiddenSize();
        float[] x = new float[tokens * d];
        int row = 0;
        for (Chunk chunk : chunks) {
            for (int id : chunk.tokens()) {
                System.arraycopy(engine.embedTokens(), id * d, x, row++ * d, d);
            }
        }
        return x;
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
