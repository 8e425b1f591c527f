package io.moestream.decoder;

import io.moestream.model.DecoderConfig;
import io.moestream.model.LatentAttentionConfig;
import io.moestream.model.FixtureCopy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The KV cache: a sequence computed a few tokens at a time gives the logits of one prefill of the
 * whole, and the cache's size is what its capacity implies.
 */
class KvCacheTest {

    /** Past the cache's first 16 positions, and past its first doubling. */
    private static final int LENGTH = 40;
    private static final int INITIAL_POSITIONS = 16;
    private static final float TOLERANCE = 1e-4f;

    static Stream<ConformanceCase> cases() {
        return ConformanceCase.all();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void decodingTokenByTokenGivesTheLogitsOfOnePrefill(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            int[] tokens = tokens(engine.config().vocabSize());
            StepOutput whole = prefill(model, tokens);
            Sequence sequence = model.newSequence();
            assertThat(sequence.cacheBytes()).isEqualTo(bytes(engine.config(), INITIAL_POSITIONS));
            for (int i = 0; i < LENGTH; i++) {
                StepOutput out = model.step(List.of(new Chunk(sequence, new int[] {tokens[i]})), 0, LogitRows.LAST);
                assertRowMatches(out, 0, whole, i);
                assertThat(sequence.length()).isEqualTo(i + 1);
                // The cache doubles when full: 16 positions, then 32, then 64.
                int capacity = i + 1 <= 16 ? 16 : i + 1 <= 32 ? 32 : 64;
                assertThat(sequence.cacheBytes()).as("cache after %d tokens", i + 1).isEqualTo(bytes(engine.config(), capacity));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void chunksOfAnySizeGiveTheLogitsOfOnePrefill(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            int[] tokens = tokens(engine.config().vocabSize());
            StepOutput whole = prefill(model, tokens);
            Sequence sequence = model.newSequence();
            int done = 0;
            for (int size : new int[] {10, 13, 1, 16}) {
                StepOutput out = model.step(List.of(new Chunk(sequence, slice(tokens, done, size))), 0, LogitRows.ALL);
                for (int i = 0; i < size; i++) {
                    assertRowMatches(out, i, whole, done + i);
                }
                done += size;
            }
            assertThat(sequence.length()).isEqualTo(LENGTH);
            assertThat(sequence.cacheBytes()).isBetween(bytes(engine.config(), LENGTH), bytes(engine.config(), 2 * LENGTH));
        }
    }

    /** One decode step of two sequences at different positions: each attends only to its own cache. */
    @ParameterizedTest
    @MethodSource("cases")
    void sequencesAtDifferentPositionsDecodeTogether(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            int[] tokens = tokens(engine.config().vocabSize());
            int[] other = IntStream.of(tokens).map(t -> (t + 5) % engine.config().vocabSize()).toArray();
            StepOutput whole = prefill(model, tokens);
            StepOutput otherWhole = prefill(model, other);
            Sequence shorter = model.newSequence();
            Sequence longer = model.newSequence();
            model.step(List.of(new Chunk(shorter, slice(tokens, 0, 7))), 0, LogitRows.LAST);
            model.step(List.of(new Chunk(longer, slice(other, 0, 30))), 0, LogitRows.LAST);
            StepOutput out = model.step(List.of(new Chunk(longer, new int[] {other[30]}), new Chunk(shorter, new int[] {tokens[7]})),
                    0, LogitRows.LAST);
            assertRowMatches(out, 0, otherWhole, 30);
            assertRowMatches(out, 1, whole, 7);
        }
    }

    @Test
    void theCacheNeverHoldsMorePositionsThanTheModelTakes(@TempDir Path dir) {
        int max = 8;
        FixtureCopy copy = FixtureCopy.of("mixtral-f32");
        copy.config().put("max_position_embeddings", max);
        try (DecoderEngine engine = DecoderEngine.load(copy.write(dir), new JavaBackend())) {
            DecoderModel model = Models.dropless(engine);
            Sequence sequence = model.newSequence();
            assertThat(sequence.cacheBytes()).isEqualTo(bytes(engine.config(), max));
            model.step(List.of(new Chunk(sequence, slice(tokens(engine.config().vocabSize()), 0, max))), 0, LogitRows.LAST);
            assertThat(sequence.cacheBytes()).isEqualTo(bytes(engine.config(), max));
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void theBytesPerTokenPerLayerAreKeysAndValuesInF32(ConformanceCase fixture) {
        try (DecoderEngine engine = DecoderEngine.load(fixture.directory(), new JavaBackend())) {
            DecoderConfig config = engine.config();
            assertThat(config.kvCacheBytesPerTokenPerLayer()).isEqualTo(floatsPerTokenPerLayer(config) * Float.BYTES);
        }
    }

    /**
     * Keys and values of one token in one layer: {@code 2 * kv_heads * head_dim}, or with DeepSeek-V2's
     * latent attention, whose cache holds each head's decompressed key and value,
     * {@code heads * (qk_nope_head_dim + qk_rope_head_dim + v_head_dim)}.
     */
    private static long floatsPerTokenPerLayer(DecoderConfig config) {
        LatentAttentionConfig mla = config.latentAttention();
        return mla == null ? 2L * config.numKeyValueHeads() * config.headDim()
                : (long) config.numAttentionHeads() * (mla.qkNopeHeadDim() + mla.qkRopeHeadDim() + mla.vHeadDim());
    }

    /** {@code layers * capacity * floats per token and layer * 4}: keys and values of every layer, F32. */
    private static long bytes(DecoderConfig config, int capacity) {
        return (long) config.numHiddenLayers() * capacity * floatsPerTokenPerLayer(config) * Float.BYTES;
    }

    /** {@link #LENGTH} ids spread over the vocabulary. */
    private static int[] tokens(int vocab) {
        return IntStream.range(0, LENGTH).map(i -> (7 * i + 3) % vocab).toArray();
    }

    private static int[] slice(int[] tokens, int from, int length) {
        return Arrays.copyOfRange(tokens, from, from + length);
    }

    private static StepOutput prefill(DecoderModel model, int[] tokens) {
        return model.step(List.of(new Chunk(model.newSequence(), tokens)), 0, LogitRows.ALL);
    }

    private static void assertRowMatches(StepOutput actual, int actualRow, StepOutput expected, int expectedRow) {
        float[] a = actual.row(actualRow);
        float[] e = expected.row(expectedRow);
        for (int v = 0; v < e.length; v++) {
            if (Math.abs(a[v] - e[v]) > TOLERANCE) {
                throw new AssertionError("position " + expectedRow + ", token " + v + ": logit " + a[v]
                        + " from the cache, " + e[v] + " from one prefill");
            }
        }
    }
}
