package io.moestream.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.model.Checkpoint;
import io.moestream.model.NamingFamily;
import io.moestream.model.Tensor;
import io.moestream.text.Cl100k;
import io.moestream.text.Corpus;
import io.moestream.text.PromptEncoder;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CorpusLoadsTest {

    private static final Corpus CORPUS = Corpus.bundled();

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Preset.class)
    void defaultSkewLandsInThePresetsBandAtTinyScale(Preset preset) {
        LoadReport report = CorpusLoads.measure(ModelSpec.of(preset, Scale.TINY), CORPUS);

        assertThat(report.busiestOverMean()).isBetween(preset.targetLow(), preset.targetHigh());
        assertThat(Arrays.stream(report.load()).sum()).isEqualTo((long) report.tokens() * preset.topK());
    }

    @Test
    void withoutSkewTheLoadIsNearlyBalanced() {
        LoadReport report = CorpusLoads.measure(ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY).withSkew(0), CORPUS);

        assertThat(report.busiestOverMean()).isLessThan(Preset.MIXTRAL_LIKE.targetLow());
    }

    /** The real vocabulary end to end: the written table embeds every prompt and routes as measured in memory. */
    @Test
    void theWrittenCheckpointRoutesTheCorpusAsMeasured() {
        ModelSpec spec = ModelSpec.of(Preset.OLMOE_LIKE, Scale.TINY);
        ModelGenerator.generate(spec, dir);

        LoadReport fromCheckpoint;
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            Tensor table = checkpoint.tensor(NamingFamily.EMBED_TOKENS, Cl100k.VOCAB_SIZE, spec.hidden());
            float[] gate = checkpoint.tensor(NamingFamily.MLP.gate(0)).data();
            fromCheckpoint = CorpusLoads.measure(CORPUS, new PromptEncoder(table)::encode, spec.hidden(), gate,
                    spec.preset().topK());
        }

        assertThat(fromCheckpoint).isEqualTo(CorpusLoads.measure(spec, CORPUS));
        assertThat(fromCheckpoint.busiestOverMean()).isBetween(4.0, 7.0);
    }

    @Test
    void barsShowEveryExpertAgainstTheMean() {
        LoadReport report = new LoadReport(10, 2, new long[] {10, 5, 5, 0});

        assertThat(report.busiestOverMean()).isEqualTo(2.0);
        assertThat(report.bars(4)).isEqualTo(String.format(
                "  expert   0 |####|      10  2.00x%n"
                + "  expert   1 |##  |       5  1.00x%n"
                + "  expert   2 |##  |       5  1.00x%n"
                + "  expert   3 |    |       0  0.00x%n"));
    }
}
