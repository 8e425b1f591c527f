package io.moestream.decoder;

import io.moestream.model.FixtureCopy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Input a model cannot compute is refused with a message naming the token, position or limit, and
 * leaves the sequences as they were. The Mixtral fixture (vocabulary 128), once as published and
 * once with {@code max_position_embeddings} 8.
 */
class DecoderInputErrorsTest {

    private static final int MAX_POSITIONS = 8;

    private static DecoderEngine engine;
    private static DecoderEngine shortEngine;

    @BeforeAll
    static void load(@TempDir Path dir) {
        engine = DecoderEngine.load(FixtureCopy.directory("mixtral-f32"), new JavaBackend());
        FixtureCopy copy = FixtureCopy.of("mixtral-f32");
        copy.config().put("max_position_embeddings", MAX_POSITIONS);
        shortEngine = DecoderEngine.load(copy.write(dir), new JavaBackend());
    }

    @AfterAll
    static void close() {
        engine.close();
        shortEngine.close();
    }

    @Test
    void aTokenIdPastTheVocabularyIsNamedWithItsPosition() {
        DecoderModel model = Models.dropless(engine);
        Sequence sequence = model.newSequence();
        assertThatThrownBy(() -> model.step(List.of(new Chunk(sequence, new int[] {5, 128, 7})), 0, LogitRows.LAST))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token id 128 at position 1 is outside the vocabulary 0..127");
        assertThat(sequence.length()).isZero();
    }

    @Test
    void aNegativeTokenIdInALaterChunk() {
        DecoderModel model = Models.dropless(engine);
        Sequence first = model.newSequence();
        Sequence second = model.newSequence();
        assertThatThrownBy(() -> model.step(List.of(new Chunk(first, new int[] {1, 2}), new Chunk(second, new int[] {3, 4, -1})),
                0, LogitRows.LAST))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token id -1 at position 2 is outside the vocabulary 0..127");
        assertThat(first.length()).isZero();
        assertThat(second.length()).isZero();
    }

    /** The position counts the tokens the sequence already holds, and the refused step leaves its cache usable. */
    @Test
    void aBadTokenAtDecodeLeavesTheSequenceAsItWas() {
        DecoderModel model = Models.dropless(engine);
        int[] prompt = {5, 108, 48, 97, 79};
        Sequence sequence = model.newSequence();
        model.step(List.of(new Chunk(sequence, prompt)), 0, LogitRows.LAST);
        assertThatThrownBy(() -> model.step(List.of(new Chunk(sequence, new int[] {200})), 0, LogitRows.LAST))
                .hasMessage("token id 200 at position 5 is outside the vocabulary 0..127");
        assertThat(sequence.length()).isEqualTo(prompt.length);

        float[] decoded = model.step(List.of(new Chunk(sequence, new int[] {33})), 0, LogitRows.LAST).row(0);
        float[] whole = model.step(List.of(new Chunk(model.newSequence(), new int[] {5, 108, 48, 97, 79, 33})), 0,
                LogitRows.LAST).row(0);
        for (int v = 0; v < whole.length; v++) {
            assertThat(decoded[v]).as("logit %d", v).isCloseTo(whole[v], within(1e-4f));
        }
    }

    @Test
    void aPromptLongerThanMaxPositionEmbeddings() {
        DecoderModel model = Models.dropless(shortEngine);
        Sequence sequence = model.newSequence();
        assertThatThrownBy(() -> model.step(List.of(new Chunk(sequence, new int[MAX_POSITIONS + 1])), 0, LogitRows.LAST))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the sequence would hold 9 tokens, more than max_position_embeddings 8");
        assertThat(sequence.length()).isZero();
    }

    @Test
    void aPromptOfExactlyMaxPositionEmbeddingsRuns() {
        DecoderModel model = Models.dropless(shortEngine);
        Sequence sequence = model.newSequence();
        StepOutput out = model.step(List.of(new Chunk(sequence, new int[MAX_POSITIONS])), 0, LogitRows.ALL);
        assertThat(out.rows()).isEqualTo(MAX_POSITIONS);
        assertThat(sequence.length()).isEqualTo(MAX_POSITIONS);
    }

    @Test
    void decodingPastMaxPositionEmbeddings() {
        DecoderModel model = Models.dropless(shortEngine);
        Sequence sequence = model.newSequence();
        model.step(List.of(new Chunk(sequence, new int[6])), 0, LogitRows.LAST);
        assertThatThrownBy(() -> model.step(List.of(new Chunk(sequence, new int[] {1, 2, 3})), 0, LogitRows.LAST))
                .hasMessage("the sequence would hold 9 tokens, more than max_position_embeddings 8");
        assertThat(sequence.length()).isEqualTo(6);
        model.step(List.of(new Chunk(sequence, new int[] {1, 2})), 0, LogitRows.LAST);
        assertThat(sequence.length()).isEqualTo(MAX_POSITIONS);
    }

    @Test
    void scoringOrGeneratingFromAPromptLongerThanTheModelTakes() {
        DecoderModel model = Models.dropless(shortEngine);
        List<int[]> tooLong = List.of(new int[] {1, 2}, new int[MAX_POSITIONS + 1]);
        assertThatThrownBy(() -> new Scorer(model, null, 0, 0).score(tooLong, r -> { }, (f, s, o) -> { }))
                .hasMessageContaining("more than max_position_embeddings 8");
        assertThatThrownBy(() -> new Generator(model, Sampling.GREEDY, 4, Set.of(), 0).generate(tooLong, (s, t) -> { }, r -> { }))
                .hasMessageContaining("more than max_position_embeddings 8");
    }

    /** Each generated token is predicted from positions the model has; the last one needs no position of its own. */
    @Test
    void generationEndsWithLengthWhenThePositionsAreFull() {
        DecoderModel model = Models.dropless(shortEngine);
        Generator generator = new Generator(model, Sampling.GREEDY, 100, Set.of(), 0);
        Generation generation = generator.generate(List.of(new int[] {5, 108, 48, 97, 79}), (s, t) -> { }, r -> { })
                .generations().get(0);
        assertThat(generation.finishReason()).isEqualTo(Generation.FinishReason.LENGTH);
        assertThat(generation.tokens()).hasSize(MAX_POSITIONS - 5 + 1);
    }

    @Test
    void anEmptyChunk() {
        Sequence sequence = Models.dropless(engine).newSequence();
        assertThatThrownBy(() -> new Chunk(sequence, new int[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a chunk needs at least one token");
    }

    @Test
    void aStepWithoutChunks() {
        assertThatThrownBy(() -> Models.dropless(engine).step(List.of(), 0, LogitRows.LAST))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a step needs at least one chunk");
    }

    @Test
    void anEmptyPromptOrSequenceIsNamedByItsIndex() {
        DecoderModel model = Models.dropless(engine);
        List<int[]> inputs = List.of(new int[] {1, 2}, new int[0]);
        assertThatThrownBy(() -> new Generator(model, Sampling.GREEDY, 4, Set.of(), 0).generate(inputs, (s, t) -> { }, r -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prompt 1 is empty");
        assertThatThrownBy(() -> new Scorer(model, null, 0, 0).score(inputs, r -> { }, (f, s, o) -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sequence 1 is empty");
    }

    @Test
    void theSameSequenceTwiceInOneStep() {
        DecoderModel model = Models.dropless(engine);
        Sequence sequence = model.newSequence();
        Sequence other = model.newSequence();
        assertThatThrownBy(() -> model.step(List.of(new Chunk(sequence, new int[] {1, 2}), new Chunk(other, new int[] {3}),
                new Chunk(sequence, new int[] {4})), 0, LogitRows.LAST))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a sequence appears twice in one step");
        assertThat(sequence.length()).isZero();
        assertThat(other.length()).isZero();
    }

    @Test
    void badBudgets() {
        DecoderModel model = Models.dropless(engine);
        assertThatThrownBy(() -> new Generator(model, Sampling.GREEDY, 0, Set.of(), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max new tokens must be >= 1, got 0");
        assertThatThrownBy(() -> new Scorer(model, null, -1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("step tokens must be >= 0, got -1");
    }
}
