package io.moestream.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.util.Utils;
import io.moestream.model.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelTokenizerTest {

    /** A word-level tokenizer as the library writes one, with an added special token beyond the model's vocabulary. */
    private static final String WORD_LEVEL = """
            {
              "version": "1.0",
              "added_tokens": [
                {"id": 4, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
                 "normalized": false, "special": true}
              ],
              "normalizer": null,
              "pre_tokenizer": {"type": "Whitespace"},
              "post_processor": null,
              "decoder": null,
              "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2, "<s>": 3},
                        "unk_token": "[UNK]"}
            }
            """;

    /** A SentencePiece-style Unigram tokenizer, whose vocabulary is a list of [piece, score]. */
    private static final String UNIGRAM = """
            {
              "version": "1.0",
              "added_tokens": [],
              "normalizer": null,
              "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
              "post_processor": null,
              "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
              "model": {"type": "Unigram", "unk_id": 0,
                        "vocab": [["<unk>", 0.0], ["▁hi", -1.0], ["▁", -2.0], ["h", -3.0], ["i", -3.0]]}
            }
            """;

    @TempDir
    Path directory;

    private void write(String file, String content) throws IOException {
        Files.writeString(directory.resolve(file), content);
    }

    @Test
    void isAbsentWithoutATokenizerJson() {
        assertThat(ModelTokenizer.load(directory)).isEmpty();
    }

    @Test
    void encodesDecodesAndLooksUpTokensOfAWordLevelModel() throws IOException {
        write(ModelTokenizer.FILE, WORD_LEVEL);

        try (ModelTokenizer tokenizer = ModelTokenizer.load(directory).orElseThrow()) {
            assertThat(tokenizer.encode("hello world </s> unknown")).containsExactly(1, 2, 4, 0);
            assertThat(tokenizer.decode(new int[] {1, 4, 2})).isEqualTo("hello world");
            assertThat(tokenizer.vocabularySize()).isEqualTo(5);
            assertThat(tokenizer.tokenId("</s>")).hasValue(4);
            assertThat(tokenizer.tokenId("<|endoftext|>")).isEmpty();
            assertThat(tokenizer.token(2)).hasValue("world");
            assertThat(tokenizer.token(5)).isEmpty();
            assertThat(tokenizer.file()).isEqualTo(directory.resolve(ModelTokenizer.FILE));
        }
    }

    @Test
    void readsAUnigramVocabularyList() throws IOException {
        write(ModelTokenizer.FILE, UNIGRAM);

        try (ModelTokenizer tokenizer = ModelTokenizer.load(directory).orElseThrow()) {
            assertThat(tokenizer.encode("hi")).containsExactly(1);
            assertThat(tokenizer.tokenId("▁hi")).hasValue(1);
            assertThat(tokenizer.vocabularySize()).isEqualTo(5);
            assertThat(tokenizer.decode(new int[] {1, 1})).isEqualTo("hi hi");
        }
    }

    @Test
    void addsBosAndEosAsTokenizerConfigSaysWhenThePostProcessorDoesNot() throws IOException {
        write(ModelTokenizer.FILE, WORD_LEVEL);
        write("tokenizer_config.json", """
                {"add_bos_token": true, "add_eos_token": true, "bos_token": "<s>",
                 "eos_token": {"__type": "AddedToken", "content": "</s>", "special": true}}
                """);

        try (ModelTokenizer tokenizer = ModelTokenizer.load(directory).orElseThrow()) {
            assertThat(tokenizer.encode("hello world")).containsExactly(3, 1, 2, 4);
            assertThat(tokenizer.encodeWithoutSpecialTokens("hello world")).containsExactly(1, 2);
        }
    }

    @Test
    void letsTokenizerConfigTurnOffTheBosThatThePostProcessorAdds() throws IOException {
        BpeTrainer.train(List.of("hello world"), 270, List.of("<|bos|>"))
                .writeTokenizerJson(directory.resolve(ModelTokenizer.FILE), "<|bos|>");
        try (ModelTokenizer withBos = ModelTokenizer.load(directory).orElseThrow()) {
            assertThat(withBos.encode("hello")).startsWith(0);
        }
        write("tokenizer_config.json", "{\"add_bos_token\": false, \"bos_token\": \"<|bos|>\"}");

        try (ModelTokenizer tokenizer = ModelTokenizer.load(directory).orElseThrow()) {
            assertThat(tokenizer.encode("hello")).containsExactly(tokenizer.encodeWithoutSpecialTokens("hello"))
                    .doesNotContain(0);
        }
    }

    @Test
    void keepsThePostProcessorsChoiceForAFlagTheConfigLeavesOut() throws IOException {
        BpeTrainer.train(List.of("hello world"), 270, List.of("<|bos|>", "<|eos|>"))
                .writeTokenizerJson(directory.resolve(ModelTokenizer.FILE), "<|bos|>");
        write("tokenizer_config.json", "{\"add_eos_token\": true, \"eos_token\": \"<|eos|>\"}");

        try (ModelTokenizer tokenizer = ModelTokenizer.load(directory).orElseThrow()) {
            int[] body = tokenizer.encodeWithoutSpecialTokens("hello");
            assertThat(tokenizer.encode("hello")).startsWith(0).endsWith(1).hasSize(body.length + 2);
        }
    }

    @Test
    void refusesAConfigThatAddsATokenItDoesNotName() throws IOException {
        write(ModelTokenizer.FILE, WORD_LEVEL);
        write("tokenizer_config.json", "{\"add_bos_token\": true}");

        assertThatThrownBy(() -> ModelTokenizer.load(directory))
                .isInstanceOf(CheckpointException.class)
                .hasMessage(directory.resolve("tokenizer_config.json") + ": add_bos_token is true but field 'bos_token' is missing");

        write("tokenizer_config.json", "{\"add_eos_token\": true, \"eos_token\": \"<eos>\"}");
        assertThatThrownBy(() -> ModelTokenizer.load(directory))
                .hasMessageContaining("tokenizer_config.json: field 'eos_token' is \"<eos>\", which is not a token of");
    }

    @Test
    void namesTheFileThatCannotBeRead() throws IOException {
        Path file = directory.resolve(ModelTokenizer.FILE);
        for (String malformed : List.of("{\"model\": ", "[]", "{\"model\": {\"type\": \"BPE\"}}")) {
            write(ModelTokenizer.FILE, malformed);
            assertThatThrownBy(() -> ModelTokenizer.load(directory)).as(malformed)
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageStartingWith(file + ": ");
        }
        write(ModelTokenizer.FILE, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}");
        assertThatThrownBy(() -> ModelTokenizer.load(directory))
                .isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(file + ": the tokenizers library cannot load it: ")
                .hasMessageContaining("`b` out of vocabulary");

        write(ModelTokenizer.FILE, WORD_LEVEL);
        write("tokenizer_config.json", "{\"add_bos_token\": \"yes\"}");
        assertThatThrownBy(() -> ModelTokenizer.load(directory))
                .isInstanceOf(CheckpointException.class)
                .hasMessage(directory.resolve("tokenizer_config.json") + ": field 'add_bos_token' must be true or false, got \"yes\"");
    }

    @Test
    void refusesNegativeIdsToDecode() throws IOException {
        write(ModelTokenizer.FILE, WORD_LEVEL);

        try (ModelTokenizer tokenizer = ModelTokenizer.load(directory).orElseThrow()) {
            assertThatThrownBy(() -> tokenizer.decode(new int[] {1, -2}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("token id -2 at position 1 is negative");
            assertThat(tokenizer.decode(new int[] {1, 99})).isEqualTo("hello");
        }
    }

    @Test
    void encodesFromManyThreadsAtOnceAsFromOne() throws Exception {
        BpeTrainer.train(Corpus.bundled().texts(), 1024, List.of("<|endoftext|>"))
                .writeTokenizerJson(directory.resolve(ModelTokenizer.FILE), null);
        List<String> texts = Corpus.bundled().texts();

        try (ModelTokenizer tokenizer = ModelTokenizer.load(directory).orElseThrow()) {
            List<int[]> sequential = texts.stream().map(tokenizer::encode).toList();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<int[]>>> runs = new ArrayList<>();
                for (int run = 0; run < 4; run++) {
                    runs.add(pool.submit(() -> texts.stream().map(tokenizer::encode).toList()));
                }
                for (Future<List<int[]>> run : runs) {
                    List<int[]> concurrent = run.get();
                    for (int i = 0; i < texts.size(); i++) {
                        assertThat(concurrent.get(i)).containsExactly(sequential.get(i));
                    }
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void runsTheLibraryFromTheJarWithoutTheNetwork() throws IOException {
        write(ModelTokenizer.FILE, WORD_LEVEL);
        ModelTokenizer.load(directory).orElseThrow().close();

        assertThat(Utils.isOfflineMode()).isTrue();
        Path cache = Utils.getEngineCacheDir("tokenizers");
        try (Stream<Path> extracted = Files.list(cache)) {
            assertThat(extracted.map(path -> path.getFileName().toString())).anyMatch(name -> name.contains("-cpu-"));
        }
    }
}
