package io.moestream.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    private static final List<String> SPECIALS = List.of("<|endoftext|>", "<|bos|>");

    /** The id of byte {@code b} when there are {@code specials} special tokens before the bytes. */
    private static int byteId(int specials, char b) {
        return specials + b;
    }

    @Test
    void givesSpecialsThenBytesThenMergesTheirIds() {
        TrainedBpe bpe = BpeTrainer.train(List.of("hello hello hello"), 2 + 256 + 3, SPECIALS);

        assertThat(bpe.vocabularySize()).isEqualTo(261);
        assertThat(bpe.tokenId("<|endoftext|>")).isZero();
        assertThat(bpe.tokenId("<|bos|>")).isEqualTo(1);
        assertThat(bpe.token(byteId(2, 'h'))).isEqualTo("h");
        assertThat(bpe.token(byteId(2, ' '))).isEqualTo("Ġ");
        assertThat(bpe.token(2 + '\n')).isEqualTo("Ċ");
        // Words "hello" once and "Ġhello" twice: (h,e), (e,l), (l,l), (l,o) occur three times each, and
        // the tie goes to the lowest left id, e (then h before el, then l before hel).
        assertThat(bpe.token(258)).isEqualTo("el");
        assertThat(bpe.token(259)).isEqualTo("hel");
        assertThat(bpe.token(260)).isEqualTo("lo");
    }

    @Test
    void breaksTiesByTheLowestLeftThenRightId() {
        TrainedBpe bpe = BpeTrainer.train(List.of("cd ab", "cd ab"), 1 + 256 + 1, List.of("<|endoftext|>"));

        // (c,d), (Ġ,a) and (a,b) occur twice each; Ġ spells the space byte, whose id 1 + 32 is the lowest.
        assertThat(bpe.token(257)).isEqualTo("Ġa");
    }

    @Test
    void neverMergesIntoTheSpellingOfASpecialToken() {
        TrainedBpe bpe = BpeTrainer.train(List.of(" x", " x", " x", "yz"), 1 + 256 + 1, List.of("Ġx"));

        assertThat(bpe.token(257)).isEqualTo("yz");
        assertThat(bpe.encode(" x")).containsExactly(byteId(1, ' '), byteId(1, 'x'));
    }

    @Test
    void cutsSpecialTokenMarkupOutOfTheTextBeforeTraining() {
        TrainedBpe bpe = BpeTrainer.train(List.of("ab<|endoftext|>ab", "<|endoftext|>"), 1 + 256 + 1,
                List.of("<|endoftext|>"));

        assertThat(bpe.token(257)).isEqualTo("ab");
        assertThat(bpe.encode("ab<|endoftext|>")).containsExactly(257, 0);
    }

    @Test
    void reusesTheIdOfAMergeThatSpellsAnExistingToken() {
        int a = byteId(1, 'a');
        int b = byteId(1, 'b');
        int c = byteId(1, 'c');
        TrainedBpe bpe = new TrainedBpe(List.of("<|endoftext|>"),
                List.of(new int[] {a, b}, new int[] {257, c}, new int[] {b, c}, new int[] {a, 259}));

        assertThat(bpe.mergeCount()).isEqualTo(4);
        assertThat(bpe.vocabularySize()).isEqualTo(1 + 256 + 3);
        assertThat(bpe.tokenId("abc")).isEqualTo(258);
        assertThat(bpe.encode("abc")).containsExactly(258);
        assertThat(bpe.encode("bcc")).containsExactly(259, c);
    }

    @Test
    void stopsWhenNoPairIsLeft() {
        TrainedBpe bpe = BpeTrainer.train(List.of("abc"), 10_000, List.of());

        assertThat(bpe.vocabularySize()).isEqualTo(256 + 2);
        assertThat(bpe.encode("abc")).containsExactly(257);
    }

    @Test
    void trainsTheSameMergesEveryTime() {
        List<String> texts = Corpus.bundled().texts();

        TrainedBpe first = BpeTrainer.train(texts, 1024, SPECIALS);
        TrainedBpe second = BpeTrainer.train(texts, 1024, SPECIALS);

        assertThat(first.vocabularySize()).isEqualTo(1024);
        for (int id = 0; id < 1024; id++) {
            assertThat(second.token(id)).isEqualTo(first.token(id));
        }
    }

    @Test
    void decodesWhatItEncodes() {
        TrainedBpe bpe = BpeTrainer.train(Corpus.bundled().texts(), 2048, SPECIALS);
        String text = "naïve café – 東京 🎉\n\tdef f(x):  return x**2  # ok\r\n";

        assertThat(bpe.decode(bpe.encode(text))).isEqualTo(text);
        assertThat(bpe.decode(bpe.encode("<|bos|>hi<|endoftext|>"))).isEqualTo("hi");
    }

    @Test
    void refusesBadArguments() {
        assertThatThrownBy(() -> BpeTrainer.train(List.of("a"), 257, SPECIALS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the vocabulary size must be at least 258 (2 special tokens + 256 bytes), got 257");
        assertThatThrownBy(() -> BpeTrainer.train(List.of("a"), 300, List.of("<s>", "<s>")))
                .hasMessage("the special tokens must be distinct, got [<s>, <s>]");
        assertThatThrownBy(() -> BpeTrainer.train(List.of("a"), 300, List.of("")))
                .hasMessageStartingWith("a special token must not be empty");
        assertThatThrownBy(() -> BpeTrainer.train(List.of("a"), 300, List.of("a")))
                .hasMessage("special token a is also the symbol of byte 97");
        TrainedBpe bpe = BpeTrainer.train(List.of("a"), 300, SPECIALS);
        assertThatThrownBy(() -> bpe.tokenId("</s>")).hasMessage("\"</s>\" is not a token of this vocabulary");
        assertThatThrownBy(() -> bpe.decode(new int[] {bpe.vocabularySize()}))
                .hasMessage("token id " + bpe.vocabularySize() + " is outside the vocabulary [0, " + bpe.vocabularySize() + ")");
    }
}
