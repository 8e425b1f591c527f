package io.moestream.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.model.Checkpoint;
import io.moestream.model.NamingFamily;
import io.moestream.text.Corpus;
import io.moestream.text.ModelTokenizer;
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
    void defaultSkewLandsInThePresetsBandAtEveryScale(Preset preset) {
        for (Scale scale : Scale.values()) {
            LoadReport report = CorpusLoads.measure(ModelSpec.of(preset, scale), CORPUS);

            assertThat(report.busiestOverMean()).as(scale.label()).isBetween(preset.targetLow(), preset.targetHigh());
            assertThat(Arrays.stream(report.load()).sum()).isEqualTo((long) report.tokens() * preset.topK());
        }
    }

    @Test
    void withoutSkewTheLoadIsNearlyBalanced() {
        LoadReport report = CorpusLoads.measure(ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY).withSkew(0), CORPUS);

        assertThat(report.busiestOverMean()).isLessThan(Preset.MIXTRAL_LIKE.targetLow());
    }

    /** The written table and gate route the corpus as measured in memory, token ids from the model's tokenizer. */
    @Test
    void theWrittenCheckpointRoutesTheCorpusAsMeasured() {
        ModelSpec spec = ModelSpec.of(Preset.OLMOE_LIKE, Scale.TINY);
        ModelGenerator.generate(spec, dir);
        GeneratedTokenizer tokenizer = GeneratedTokenizer.of(spec);

        LoadReport fromCheckpoint;
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            float[] table = checkpoint.tensor(NamingFamily.EMBED_TOKENS, spec.vocabSize(), spec.hidden()).data();
            float[] gate = checkpoint.tensor(NamingFamily.MLP.gate(0)).data();
            int d = spec.hidden();
            fromCheckpoint = CorpusLoads.measure(CORPUS, prompt -> {
                int[] ids = tokenizer.encode(prompt);
                float[] states = new float[ids.length * d];
                for (int t = 0; t < ids.length; t++) {
                    System.arraycopy(table, ids[t] * d, states, t * d, d);
                }
                return states;
            }, d, gate, spec.preset().topK());
        }

        assertThat(fromCheckpoint).isEqualTo(CorpusLoads.measure(spec, CORPUS));
        assertThat(fromCheckpoint.busiestOverMean()).isBetween(4.0, 7.0);
    }

    /**
     * The tokenizer.json written beside the weights, read by the Hugging Face tokenizers library,
     * gives the ids the measurement routed: BOS first for Mixtral, none for Qwen3.
     */
    @ParameterizedTest
    @EnumSource(value = Preset.class, names = {"MIXTRAL_LIKE", "QWEN3_MOE_LIKE"})
    void theLibraryTokenizesTheCorpusAsTheMeasurementDid(Preset preset) {
        ModelSpec spec = ModelSpec.of(preset, Scale.TINY).withLayers(1);
        ModelGenerator.generate(spec, dir);
        GeneratedTokenizer generated = GeneratedTokenizer.of(spec);

        try (ModelTokenizer library = ModelTokenizer.load(dir).orElseThrow()) {
            assertThat(library.vocabularySize()).isEqualTo(spec.vocabSize());
            for (String prompt : CORPUS.texts()) {
                assertThat(library.encode(prompt)).as(prompt).containsExactly(generated.encode(prompt));
            }
        }
    }

    /** Mixtral's tokenizer puts BOS first, so every prompt routes one more token than its text has. */
    @Test
    void familiesThatAddBosRouteItWithEveryPrompt() {
        ModelSpec mixtral = ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY);
        ModelSpec qwen = ModelSpec.of(Preset.QWEN_MOE_LIKE, Scale.TINY);

        int withBos = CorpusLoads.measure(mixtral, CORPUS).tokens();
        int withoutBos = CorpusLoads.measure(qwen, CORPUS).tokens();

        assertThat(GeneratedTokenizer.of(mixtral).encode("hello")[0]).isEqualTo(1);
        assertThat(withBos - withoutBos).isEqualTo(CORPUS.texts().size());
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
