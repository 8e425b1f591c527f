package io.moestream.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextStreamTest {

    private static final String TEXT = "naïve café – 東京 🎉 done";

    @TempDir
    static Path directory;

    private static TrainedBpe bpe;
    private static ModelTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        bpe = BpeTrainer.train(Corpus.bundled().texts(), 1024, List.of("<|endoftext|>", "<|bos|>"));
        bpe.writeTokenizerJson(directory.resolve(ModelTokenizer.FILE), "<|bos|>");
        tokenizer = ModelTokenizer.load(directory).orElseThrow();
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static List<String> stream(TextStream stream, int[] ids) {
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(stream.push(id));
        }
        pieces.add(stream.finish());
        return pieces;
    }

    @Test
    void holdsBackCharactersThatTokensCutUntilTheyAreWhole() {
        int[] ids = tokenizer.encode(TEXT);
        // The small vocabulary spells 東, 京 and 🎉 with byte tokens, so some tokens end inside a character.
        assertThat(ids.length).isGreaterThan(tokenizer.encodeWithoutSpecialTokens("naïve café – ").length + 8);

        List<String> pieces = stream(new TextStream(tokenizer::decode), ids);

        assertThat(String.join("", pieces)).isEqualTo(tokenizer.decode(ids)).isEqualTo(TEXT);
        assertThat(pieces).noneMatch(piece -> piece.contains("\uFFFD"));
        assertThat(pieces.subList(1, ids.length)).contains("");
    }

    @Test
    void streamsThePureJavaDecoderTheSameWay() {
        int[] ids = bpe.encode(TEXT);

        List<String> pieces = stream(new TextStream(bpe::decode), ids);

        assertThat(String.join("", pieces)).isEqualTo(TEXT);
        assertThat(pieces).isEqualTo(stream(new TextStream(tokenizer::decode), ids));
    }

    @Test
    void givesWhatIsHeldBackWhenTheTokensStopInsideACharacter() {
        int[] ids = bpe.encode("a東");
        int[] cut = Arrays.copyOf(ids, ids.length - 1);
        TextStream stream = new TextStream(bpe::decode);

        StringBuilder pushed = new StringBuilder();
        for (int id : cut) {
            pushed.append(stream.push(id));
        }

        assertThat(pushed).hasToString("a");
        assertThat(stream.finish()).isEqualTo(bpe.decode(cut).substring(1)).contains("\uFFFD");
        assertThat(stream.finish()).isEmpty();
    }

    @Test
    void leavesSpecialTokensOut() {
        TextStream stream = new TextStream(tokenizer::decode);

        StringBuilder text = new StringBuilder(stream.push(1));
        for (int id : tokenizer.encodeWithoutSpecialTokens("hi there")) {
            text.append(stream.push(id));
        }
        text.append(stream.push(0)).append(stream.finish());

        assertThat(stream.push(1)).isEmpty();
        assertThat(text).hasToString("hi there");
    }
}
