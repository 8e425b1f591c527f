package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which held-out text moe quality and moe demo take, a fresh clone's (no corpus beside it) included. */
class HeldOutTextTest {

    static final double SHARE = Double.parseDouble(TestCorpus.HELD_OUT);

    @TempDir
    static Path dir;

    static Path corpus;
    static Path bundled;
    static Path nowhere;

    @BeforeAll
    static void write() throws IOException {
        corpus = TestCorpus.write(dir.resolve("corpus"));
        bundled = dir.resolve("held-out");
        CorpusSplit.of(corpus, SHARE).writeHeldOut(bundled);
        nowhere = dir.resolve("nowhere");
    }

    @Test
    void theCorpusGivenIsSplitAtTheShareGiven() {
        HeldOutText text = HeldOutText.of(corpus, 0.25, nowhere, bundled, SHARE);

        assertThat(text.split().parts()).extracting(CorpusSplit.Part::heldOut)
                .isEqualTo(CorpusSplit.of(corpus, 0.25).parts().stream().map(CorpusSplit.Part::heldOut).toList());
        assertThat(text.source()).contains(corpus.toString(), "25%");
    }

    @Test
    void withoutOneTheDefaultCorpusComesBeforeTheBundledSplit() {
        HeldOutText text = HeldOutText.of(null, SHARE, corpus, bundled, SHARE);

        assertThat(text.split().parts()).extracting(CorpusSplit.Part::train).doesNotContain("");
        assertThat(text.source()).contains(corpus.toString());
    }

    @Test
    void aCheckoutWithoutTheCorpusReadsTheBundledSplit() {
        HeldOutText text = HeldOutText.of(null, SHARE, nowhere, bundled, SHARE);

        assertThat(text.split().domains()).isEqualTo(CorpusSplit.of(corpus, SHARE).domains());
        assertThat(text.split().parts()).extracting(CorpusSplit.Part::heldOut)
                .isEqualTo(CorpusSplit.of(corpus, SHARE).parts().stream().map(CorpusSplit.Part::heldOut).toList());
        assertThat(text.source()).startsWith("bundled held-out split " + bundled);
    }

    @Test
    void theBundledSplitServesOnlyItsOwnShare() {
        assertThatThrownBy(() -> HeldOutText.of(null, 0.1, nowhere, bundled, SHARE)).isInstanceOf(UserError.class)
                .hasMessageContaining("--held-out 0.1 needs the corpus itself (--corpus DIR)");
    }

    @Test
    void nothingAnywhereSaysWhereItLooked() {
        assertThatThrownBy(() -> HeldOutText.of(null, SHARE, nowhere, dir.resolve("no-split"), SHARE))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("no corpus at " + nowhere)
                .hasMessageContaining("no bundled held-out split at " + dir.resolve("no-split"));
    }
}
