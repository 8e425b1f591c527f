package io.moestream.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moestream.model.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptEncoderTest {

    private static final int VOCAB = Cl100k.VOCAB_SIZE;
    private static final int HIDDEN = 3;

    /** Row v holds (v, v + 0.5, -v), so any embedded row names the token it came from. */
    private static float[] table() {
        float[] table = new float[VOCAB * HIDDEN];
        for (int v = 0; v < VOCAB; v++) {
            table[v * HIDDEN] = v;
            table[v * HIDDEN + 1] = v + 0.5f;
            table[v * HIDDEN + 2] = -v;
        }
        return table;
    }

    private final PromptEncoder encoder = new PromptEncoder(Tensor.of(table(), VOCAB, HIDDEN));

    @Test
    void tokenizesWithCl100k() {
        assertThat(encoder.tokenize("hello world")).containsExactly(15339, 1917);
    }

    @Test
    void encodesSpecialTokenMarkupAsOrdinaryText() {
        assertThat(encoder.tokenize("<|endoftext|>")).hasSizeGreaterThan(1).doesNotContain(100_257);
    }

    @Test
    void embedsRowsInTokenOrder() {
        assertThat(encoder.embed(new int[] {2, 0, VOCAB - 1}))
                .containsExactly(2, 2.5f, -2, 0, 0.5f, 0, VOCAB - 1, VOCAB - 0.5f, 1 - VOCAB);
    }

    @Test
    void encodesAPromptToOneRowPerToken() {
        float[] states = encoder.encode("hello world");

        assertThat(states).containsExactly(15339, 15339.5f, -15339, 1917, 1917.5f, -1917);
    }

    @Test
    void encodesEveryLanguageOfTheCorpus() {
        for (String text : new String[] {"怎样做一道正宗的麻婆豆腐？", "敬語の違いを教えてください。", "Écris un poème", "Объясни"}) {
            assertThat(encoder.encode(text)).hasSize(encoder.tokenize(text).length * HIDDEN);
        }
    }

    @Test
    void rejectsEmptyAndBlankPrompts() {
        assertThatThrownBy(() -> encoder.tokenize("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the prompt is empty");
        assertThatThrownBy(() -> encoder.encode(" \t\n")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the prompt is blank (3 whitespace characters)");
        assertThatThrownBy(() -> encoder.embed(new int[0])).hasMessage("no token ids to embed");
    }

    @Test
    void rejectsPromptsOverTheMaximumWithTheActualCount() {
        PromptEncoder small = new PromptEncoder(Tensor.of(table(), VOCAB, HIDDEN), 4);

        assertThat(small.tokenize("one two three four")).hasSize(4);
        assertThatThrownBy(() -> small.encode("one two three four five"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the prompt has 5 tokens, more than the maximum of 4");
        assertThatThrownBy(() -> small.embed(new int[5])).hasMessage("the prompt has 5 tokens, more than the maximum of 4");
        assertThat(encoder.maxTokens()).isEqualTo(4096);
    }

    @Test
    void namesThePositionAndIdOfAnUnknownToken() {
        assertThatThrownBy(() -> encoder.embed(new int[] {1, 2, VOCAB}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token at position 2 has id " + VOCAB + ", outside the embedding table's vocabulary [0, "
                        + VOCAB + ")");
        assertThatThrownBy(() -> encoder.embed(new int[] {-1}))
                .hasMessage("token at position 0 has id -1, outside the embedding table's vocabulary [0, " + VOCAB + ")");
    }

    @Test
    void rejectsAWrongTable() {
        assertThatThrownBy(() -> new PromptEncoder(Tensor.of(table(), VOCAB * HIDDEN)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the embedding table must have rank 2, [vocab][hidden], got shape [" + VOCAB * HIDDEN + "]");
        assertThatThrownBy(() -> new PromptEncoder(Tensor.of(table(), 1, VOCAB, HIDDEN)))
                .hasMessageStartingWith("the embedding table must have rank 2");
        assertThatThrownBy(() -> new PromptEncoder(Tensor.of(new float[0], 0, 2)))
                .hasMessage("the embedding table's shape must be positive, got [0, 2]");
        assertThatThrownBy(() -> new PromptEncoder(Tensor.of(new float[8], 4, 2), 0))
                .hasMessage("the maximum token count must be >= 1, got 0");
    }

    @Test
    void tokenizesWithTheModelsOwnTokenizerWhenTheCheckpointHasOne(@TempDir Path model) throws IOException {
        TrainedBpe bpe = BpeTrainer.train(Corpus.bundled().texts(), 300, List.of("<|endoftext|>", "<|bos|>"));
        bpe.writeTokenizerJson(model.resolve(ModelTokenizer.FILE), "<|bos|>");

        try (PromptEncoder modelEncoder = PromptEncoder.forModel(model, Tensor.of(table(), VOCAB, HIDDEN), 64)) {
            int[] expected = IntStream.concat(IntStream.of(1), IntStream.of(bpe.encode("hello world"))).toArray();
            assertThat(modelEncoder.tokenize("hello world")).containsExactly(expected);
            assertThat(modelEncoder.encode("hello world")).hasSize(expected.length * HIDDEN).startsWith(1, 1.5f, -1);
            assertThat(modelEncoder.modelTokenizer()).isPresent();
        }
    }

    @Test
    void fallsBackToCl100kWithoutATokenizerJson(@TempDir Path model) {
        try (PromptEncoder layerOnly = PromptEncoder.forModel(model, Tensor.of(table(), VOCAB, HIDDEN), 64)) {
            assertThat(layerOnly.tokenize("hello world")).containsExactly(15339, 1917);
            assertThat(layerOnly.modelTokenizer()).isEmpty();
        }
    }

    @Test
    void namesTheModelsTokenThatTheTableCannotEmbed(@TempDir Path model) throws IOException {
        TrainedBpe bpe = BpeTrainer.train(Corpus.bundled().texts(), 300, List.of("<|endoftext|>"));
        bpe.writeTokenizerJson(model.resolve(ModelTokenizer.FILE), null);

        try (PromptEncoder small = PromptEncoder.forModel(model, Tensor.of(new float[280 * HIDDEN], 280, HIDDEN), 64)) {
            assertThatThrownBy(() -> small.embed(new int[] {5, 299}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("token at position 1 (\"" + bpe.token(299) + "\") has id 299, outside the embedding table's"
                            + " vocabulary [0, 280)");
            assertThatThrownBy(() -> small.embed(new int[] {300}))
                    .hasMessage("token at position 0 has id 300, outside the embedding table's vocabulary [0, 280)");
        }
    }
}
