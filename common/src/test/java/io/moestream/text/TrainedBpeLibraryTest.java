package io.moestream.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The independent check of {@link BpeTrainer}: the Hugging Face tokenizers library, loading the
 * tokenizer.json the trainer writes, encodes and decodes exactly as {@link TrainedBpe} does.
 */
class TrainedBpeLibraryTest {

    private static final List<String> SPECIALS = List.of("<|endoftext|>", "<|bos|>");

    /** Text the corpus does not hold: scripts, digits, whitespace runs, code, line ends, markup. */
    private static final List<String> HELD_OUT = List.of(
            "naïve café – 東京 🎉 Ünïcödé ß ﬁ Ελληνικά русский עברית العربية हिन्दी",
            "3.14159 2,718 1234567890 0x1F 1e-9 ١٢٣ ²³ ½",
            "a  b   c\t\td\n\n\n  e    \n",
            "   leading and trailing   ",
            "\u00A0non-breaking\u3000ideographic\u2028line\u2029paragraph\u0085next",
            "x\u00A0!y\u3000\u3000z w\u2003 \u2003v \u00A0 .\u2009,",
            "def f(x):\n    return x ** 2  # square\n\nfor i in range(10):\n\tprint(f\"{i}: {f(i)}\")\n",
            "SELECT id, name FROM t WHERE a <> 'it''s' AND b >= 10;",
            "it's we're they've I'm you'll he'd IT'S don't 'quoted'",
            "line1\r\nline2\rline3\n",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa !!!???... ----",
            "👩‍👩‍👧 e\u0301 \uD835\uDD04",
            "");

    @TempDir
    static Path directory;

    private static TrainedBpe bpe;
    private static ModelTokenizer library;

    @BeforeAll
    static void train() throws IOException {
        bpe = BpeTrainer.train(Corpus.bundled().texts(), 4096, SPECIALS);
        bpe.writeTokenizerJson(directory.resolve(ModelTokenizer.FILE), "<|bos|>");
        library = ModelTokenizer.load(directory).orElseThrow();
    }

    @AfterAll
    static void close() {
        library.close();
    }

    @Test
    void encodesEveryBundledPromptAsTheLibraryDoes() {
        for (String text : Corpus.bundled().texts()) {
            assertThat(bpe.encode(text)).as(text).containsExactly(library.encodeWithoutSpecialTokens(text));
        }
    }

    @Test
    void encodesHeldOutTextAsTheLibraryDoes() {
        for (String text : HELD_OUT) {
            assertThat(bpe.encode(text)).as(text).containsExactly(library.encodeWithoutSpecialTokens(text));
        }
    }

    @Test
    void encodesSpecialTokenMarkupAsTheLibraryDoes() {
        String text = "before<|endoftext|>after <|bos|><|bos|> <|endoftext";

        assertThat(bpe.encode(text)).containsExactly(library.encodeWithoutSpecialTokens(text));
        assertThat(bpe.encode(text)).contains(0, 1);
    }

    @Test
    void decodesBackToTheText() {
        for (String text : HELD_OUT) {
            int[] ids = library.encode(text);
            assertThat(library.decode(ids)).as(text).isEqualTo(text);
            assertThat(bpe.decode(ids)).as(text).isEqualTo(text);
        }
    }

    /**
     * Trained on text where Unicode whitespace meets punctuation and other whitespace, the merges
     * would cross the library's piece boundaries if the two split such text differently.
     */
    @Test
    void splitsUnicodeWhitespaceAsTheLibraryDoes(@TempDir Path spaces) throws IOException {
        List<String> texts = List.of("x\u00A0!y a \u00A0b a\u00A0\u00A0b", "\u3000\u3000x\u3000!\u2003\u2003 v",
                "p\u2028\u2028q\u0085\u0085r \u2009\u2009, s");
        TrainedBpe trained = BpeTrainer.train(texts, 300, List.of());
        trained.writeTokenizerJson(spaces.resolve(ModelTokenizer.FILE), null);

        try (ModelTokenizer tokenizer = ModelTokenizer.load(spaces).orElseThrow()) {
            for (String text : texts) {
                assertThat(trained.encode(text)).as(text).containsExactly(tokenizer.encode(text));
            }
        }
    }

    @Test
    void putsBosFirstWhenAsked() {
        int bos = bpe.tokenId("<|bos|>");

        assertThat(bos).isEqualTo(1);
        assertThat(library.encode("hello world"))
                .containsExactly(IntStream.concat(IntStream.of(bos), IntStream.of(bpe.encode("hello world"))).toArray());
        assertThat(library.encode("")).containsExactly(bos);
    }

    @Test
    void addsNothingWithoutABosToken(@TempDir Path plain) throws IOException {
        bpe.writeTokenizerJson(plain.resolve(ModelTokenizer.FILE), null);

        try (ModelTokenizer tokenizer = ModelTokenizer.load(plain).orElseThrow()) {
            assertThat(tokenizer.encode("hello world")).containsExactly(bpe.encode("hello world"));
        }
    }

    @Test
    void countsTheSameVocabulary() {
        assertThat(bpe.vocabularySize()).isEqualTo(4096);
        assertThat(library.vocabularySize()).isEqualTo(4096);
        assertThat(library.tokenId("<|endoftext|>")).hasValue(0);
        assertThat(library.tokenId("Ġ")).hasValue(2 + ' ');
        for (int id : new int[] {0, 1, 2, 257, 258, 1000, 4095}) {
            assertThat(library.token(id)).hasValue(bpe.token(id));
        }
    }

    @Test
    void agreesOnAVocabularyWhereTwoMergesSpellOneToken(@TempDir Path twice) throws IOException {
        int a = 'a';
        int b = 'b';
        int c = 'c';
        TrainedBpe duplicated = new TrainedBpe(List.of(),
                List.of(new int[] {a, b}, new int[] {256, c}, new int[] {b, c}, new int[] {a, 258}));
        duplicated.writeTokenizerJson(twice.resolve(ModelTokenizer.FILE), null);

        try (ModelTokenizer tokenizer = ModelTokenizer.load(twice).orElseThrow()) {
            assertThat(tokenizer.vocabularySize()).isEqualTo(259);
            for (String text : List.of("abc", "bcc", "aabc", "abcabc", "babcbc", "cab")) {
                assertThat(duplicated.encode(text)).as(text).containsExactly(tokenizer.encode(text));
            }
        }
    }
}
