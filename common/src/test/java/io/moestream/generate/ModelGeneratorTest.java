package io.moestream.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.moestream.model.Checkpoint;
import io.moestream.model.DType;
import io.moestream.model.ModelConfig;
import io.moestream.model.MoeLayerLoader;
import io.moestream.model.MoeLayerWeights;
import io.moestream.model.NamingFamily;
import io.moestream.model.SharedExpertKind;
import io.moestream.model.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModelGeneratorTest {

    /** Enough rows for the round trips; the real vocabulary has its own test in {@link CorpusLoadsTest}. */
    private static final int SMALL_VOCAB = 512;

    @TempDir
    Path dir;

    private static ModelSpec tiny(Preset preset) {
        return ModelSpec.of(preset, Scale.TINY).withVocabSize(SMALL_VOCAB);
    }

    @ParameterizedTest
    @EnumSource(Preset.class)
    void everyPresetLoadsBackThroughTheModelPackage(Preset preset) {
        ModelSpec spec = tiny(preset);
        ModelGenerator.generate(spec, dir);

        ModelConfig config = ModelConfig.read(dir).orElseThrow();
        assertThat(config.modelType()).isEqualTo(preset.modelType());
        assertThat(config.family()).isEqualTo(preset.family());
        assertThat(config.hiddenSize()).isEqualTo(preset.hidden() / 32);
        assertThat(config.expertFfnSize()).isEqualTo(preset.expertFfn() / 32);
        assertThat(config.numExperts()).isEqualTo(preset.experts());
        assertThat(config.topK()).isEqualTo(preset.topK());
        assertThat(config.normTopkProb()).isEqualTo(preset.normTopkProb());
        assertThat(config.sharedExpert()).isEqualTo(preset.sharedExpert());
        assertThat(config.sharedExpertFfnSize()).isEqualTo(preset.sharedFfn() / 32);
        assertThat(config.numHiddenLayers()).isEqualTo(1);
        assertThat(config.vocabSize()).isEqualTo(SMALL_VOCAB);
        assertThat(config.isMoeLayer(0)).isTrue();

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            MoeLayerWeights layer = MoeLayerLoader.load(checkpoint, config, 0);
            assertThat(layer.gate()).containsExactly(spec.skewModel().gate());
            assertThat(layer.experts()).hasSize(preset.experts());
            assertThat(layer.sharedExperts()).hasSize(preset.sharedExpert() == SharedExpertKind.NONE ? 0 : 1);
            assertThat(layer.sharedExpertGate().isPresent()).isEqualTo(preset.sharedExpert().gated());
            Tensor embeddings = checkpoint.tensor(NamingFamily.EMBED_TOKENS, SMALL_VOCAB, spec.hidden());
            float[] lastRow = new float[spec.hidden()];
            spec.skewModel().embeddingRow(SMALL_VOCAB - 1, lastRow, 0);
            assertThat(Arrays.copyOfRange(embeddings.data(), (SMALL_VOCAB - 1) * spec.hidden(), SMALL_VOCAB * spec.hidden()))
                    .containsExactly(lastRow);
        }
    }

    @Test
    void expertWeightsHaveUnitFanInVariance() {
        ModelSpec spec = tiny(Preset.MIXTRAL_LIKE);
        ModelGenerator.generate(spec, dir);

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            float[] w1 = checkpoint.tensor("model.layers.0.block_sparse_moe.experts.3.w1.weight").data();
            float[] w2 = checkpoint.tensor("model.layers.0.block_sparse_moe.experts.3.w2.weight").data();
            assertThat(variance(w1) * spec.hidden()).isCloseTo(1.0, offset(0.05));
            assertThat(variance(w2) * spec.expertFfn()).isCloseTo(1.0, offset(0.05));
        }
    }

    @Test
    void shardsWithAnIndexBeyondTheShardSize() throws IOException {
        ModelSpec spec = tiny(Preset.QWEN_MOE_LIKE);
        Path single = dir.resolve("single");
        Path sharded = dir.resolve("sharded");
        ModelGenerator.generate(spec, single);

        List<Path> files = ModelGenerator.generate(spec, sharded, 1 << 20);

        assertThat(files).first().isEqualTo(sharded.resolve("config.json"));
        assertThat(files).last().isEqualTo(sharded.resolve(Checkpoint.INDEX_FILE));
        assertThat(files).hasSizeGreaterThan(3).contains(sharded.resolve(Shards.fileName(0, files.size() - 2)));
        assertThat(sharded.resolve(Checkpoint.SINGLE_FILE)).doesNotExist();
        try (Checkpoint one = Checkpoint.open(single); Checkpoint many = Checkpoint.open(sharded)) {
            assertThat(many.names()).containsExactlyInAnyOrderElementsOf(one.names());
            for (String name : one.names()) {
                assertThat(many.tensor(name).data()).as(name).containsExactly(one.tensor(name).data());
            }
        }
        assertThat(Files.readString(sharded.resolve(Checkpoint.INDEX_FILE)))
                .contains("\"total_size\": " + (Files.size(single.resolve(Checkpoint.SINGLE_FILE)) - headerBytes(single)));
    }

    @Test
    void theSameSeedGivesTheSameBytesAndAnotherSeedOthers() throws IOException {
        ModelSpec spec = tiny(Preset.DEEPSEEK_LIKE);
        ModelGenerator.generate(spec, dir.resolve("a"));
        ModelGenerator.generate(spec, dir.resolve("b"));
        ModelGenerator.generate(spec.withSeed(2), dir.resolve("c"));

        for (String file : List.of("config.json", Checkpoint.SINGLE_FILE)) {
            assertThat(Files.mismatch(dir.resolve("a").resolve(file), dir.resolve("b").resolve(file))).as(file).isEqualTo(-1);
            assertThat(Files.mismatch(dir.resolve("a").resolve(file), dir.resolve("c").resolve(file))).as(file).isNotEqualTo(-1);
        }
    }

    @Test
    void refusesToWriteOverACheckpoint() throws IOException {
        Files.writeString(dir.resolve("model-00001-of-00002.safetensors"), "old");

        assertThatThrownBy(() -> ModelGenerator.generate(tiny(Preset.OLMOE_LIKE), dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(dir + " already holds a checkpoint (model-00001-of-00002.safetensors); remove it or choose"
                        + " another directory");
    }

    @Test
    void scalesKeepExpertsAndTopKAndDivideTheWidths() {
        ModelSpec full = ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.FULL);
        ModelSpec tiny = ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY);
        ModelSpec small = ModelSpec.of(Preset.QWEN_MOE_LIKE, Scale.SMALL);

        assertThat(List.of(full.hidden(), full.expertFfn(), tiny.hidden(), tiny.expertFfn())).containsExactly(4096, 14336,
                128, 448);
        assertThat(List.of(small.hidden(), small.expertFfn(), small.sharedFfn())).containsExactly(512, 352, 1408);
        assertThat(ModelSpec.of(Preset.DEEPSEEK_LIKE, Scale.TINY).sharedFfn()).isEqualTo(2 * 44);
        assertThat(full.vocabSize()).isEqualTo(100_277);
        assertThat(Scale.FULL.dtype()).isEqualTo(DType.BF16);
        assertThat(Scale.TINY.dtype()).isEqualTo(DType.F32);
    }

    private static double variance(float[] values) {
        double sum = 0;
        double squares = 0;
        for (float v : values) {
            sum += v;
            squares += (double) v * v;
        }
        double mean = sum / values.length;
        return squares / values.length - mean * mean;
    }

    /** The 8-byte length and the JSON header before the data of a safetensors file. */
    private static long headerBytes(Path checkpoint) throws IOException {
        byte[] file = Files.readAllBytes(checkpoint.resolve(Checkpoint.SINGLE_FILE));
        return Long.BYTES + ByteBuffer.wrap(file, 0, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
