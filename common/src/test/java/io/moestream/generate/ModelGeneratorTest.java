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
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ModelGeneratorTest {

    /** Enough rows for the round trips; the default vocabulary has its own tests in {@link ConfigFileTest}. */
    private static final int SMALL_VOCAB = 512;

    @TempDir
    Path dir;

    private static ModelSpec tiny(Preset preset) {
        return ModelSpec.of(preset, Scale.TINY).withVocabSize(SMALL_VOCAB);
    }

    private static JsonNode json(Path file) {
        return JsonMapper.builder().build().readTree(file.toFile());
    }

    /** Layer 0 and the embeddings still load as the layer-only pipeline loads them. */
    @ParameterizedTest
    @EnumSource(Preset.class)
    void layerZeroLoadsBackThroughTheModelPackage(Preset preset) {
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
        assertThat(config.numHiddenLayers()).isEqualTo(Scale.TINY.defaultLayers());
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

    /** Exactly the tensors transformers' modeling code builds for the written config.json, no more and no fewer. */
    @ParameterizedTest
    @EnumSource(Preset.class)
    void everyTensorOfTheWholeModelIsNamedAndShapedAsItsConfigSays(Preset preset) {
        ModelGenerator.generate(tiny(preset), dir);

        Map<String, List<Integer>> expected = HfLayout.of(json(dir.resolve("config.json")));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThat(checkpoint.names()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            expected.forEach((name, shape) -> assertThat(checkpoint.tensor(name).shape()).as(name)
                    .containsExactly(shape.stream().mapToInt(Integer::intValue).toArray()));
        }
    }

    @Test
    void qwenLikeModelsMakeTheirLastLayerDense() {
        ModelGenerator.generate(tiny(Preset.QWEN3_MOE_LIKE), dir);

        JsonNode config = json(dir.resolve("config.json"));
        int layers = config.get("num_hidden_layers").intValue();
        assertThat(IntStream.range(0, layers).filter(layer -> HfLayout.isDense(config, layer)).boxed().toList())
                .containsExactly(layers - 1);
        assertThat(ModelConfig.read(dir).orElseThrow().denseLayers()).containsExactly(layers - 1);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            String last = "model.layers." + (layers - 1) + ".mlp.";
            assertThat(checkpoint.tensor(last + "down_proj.weight").shape()).containsExactly(64, 192);
            assertThat(checkpoint.has(last + "gate.weight")).isFalse();
            assertThat(checkpoint.has("model.layers." + (layers - 2) + ".mlp.gate.weight")).isTrue();
        }
    }

    @Test
    void aOneLayerModelIsAllMoe() {
        ModelGenerator.generate(tiny(Preset.QWEN_MOE_LIKE).withLayers(1), dir);

        ModelConfig config = ModelConfig.read(dir).orElseThrow();
        assertThat(config.numHiddenLayers()).isEqualTo(1);
        assertThat(config.denseLayers()).isEmpty();
    }

    /**
     * The blocks write into the residual stream with {@code RESIDUAL_GAIN / sqrt(2 * layers)} of the
     * unit fan-in spread that everything reading from it has; norms sit around 1 and biases around 0.
     */
    @Test
    void projectionsIntoTheResidualStreamAreScaledDownByDepth() {
        ModelSpec spec = tiny(Preset.QWEN_MOE_LIKE);
        ModelGenerator.generate(spec, dir);
        double residual = WeightPlan.RESIDUAL_GAIN * WeightPlan.RESIDUAL_GAIN / (2 * spec.layers());
        int queryWidth = spec.heads() * spec.headDim();

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            String layer = "model.layers.1.";
            assertThat(variance(checkpoint, layer + "mlp.experts.3.gate_proj.weight") * spec.hidden())
                    .isCloseTo(1.0, offset(0.05));
            assertThat(variance(checkpoint, layer + "self_attn.q_proj.weight") * spec.hidden()).isCloseTo(1.0, offset(0.05));
            assertThat(variance(checkpoint, "lm_head.weight") * spec.hidden()).isCloseTo(1.0, offset(0.05));
            assertThat(variance(checkpoint, layer + "mlp.experts.3.down_proj.weight") * spec.expertFfn() / residual)
                    .isCloseTo(1.0, offset(0.1));
            assertThat(variance(checkpoint, layer + "self_attn.o_proj.weight") * queryWidth / residual)
                    .isCloseTo(1.0, offset(0.05));
            float[] norm = checkpoint.tensor(layer + "input_layernorm.weight").data();
            assertThat(List.of(min(norm), max(norm))).allSatisfy(w -> assertThat(w)
                    .isBetween(1 - WeightPlan.SPREAD, 1 + WeightPlan.SPREAD));
            float[] bias = checkpoint.tensor(layer + "self_attn.k_proj.bias").data();
            assertThat(List.of(min(bias), max(bias))).allSatisfy(b -> assertThat(b)
                    .isBetween(-WeightPlan.SPREAD, WeightPlan.SPREAD));
            assertThat(max(bias) - min(bias)).isGreaterThan(WeightPlan.SPREAD);
        }
    }

    /** Each layer has a gate of its own, each built from the skew model's stream for that layer. */
    @Test
    void everyMoeLayerHasItsOwnSkewedGate() {
        ModelSpec spec = tiny(Preset.OLMOE_LIKE);
        ModelGenerator.generate(spec, dir);

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            float[] first = checkpoint.tensor(NamingFamily.MLP.gate(0)).data();
            float[] second = checkpoint.tensor(NamingFamily.MLP.gate(1)).data();
            assertThat(second).containsExactly(spec.skewModel().gate(1));
            assertThat(second).isNotEqualTo(first);
        }
        SkewModel skew = spec.skewModel();
        List<List<Integer>> orders = IntStream.range(0, spec.layers())
                .mapToObj(layer -> IntStream.range(0, spec.preset().experts())
                        .map(e -> skew.popularityRank(layer, e)).boxed().toList())
                .toList();
        assertThat(orders).as("each layer's popularity ranks of the experts").doesNotHaveDuplicates();
    }

    @Test
    void shardsWithAnIndexBeyondTheShardSize() throws IOException {
        ModelSpec spec = tiny(Preset.QWEN_MOE_LIKE);
        Path single = dir.resolve("single");
        Path sharded = dir.resolve("sharded");
        ModelGenerator.generate(spec, single);

        List<Path> files = ModelGenerator.generate(spec, sharded, 1 << 20);

        assertThat(files.subList(0, 4)).containsExactly(sharded.resolve("config.json"),
                sharded.resolve("generation_config.json"), sharded.resolve("tokenizer.json"),
                sharded.resolve("tokenizer_config.json"));
        assertThat(files).last().isEqualTo(sharded.resolve(Checkpoint.INDEX_FILE));
        int shards = files.size() - 5;
        assertThat(shards).isGreaterThan(1);
        assertThat(files).contains(sharded.resolve(Shards.fileName(shards - 1, shards)));
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

        for (String file : List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                Checkpoint.SINGLE_FILE)) {
            assertThat(Files.mismatch(dir.resolve("a").resolve(file), dir.resolve("b").resolve(file))).as(file).isEqualTo(-1);
        }
        for (String file : List.of("config.json", Checkpoint.SINGLE_FILE)) {
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
    void refusesAModelWithoutLayersAndAVocabularySmallerThanTheBytes() {
        assertThatThrownBy(() -> tiny(Preset.MIXTRAL_LIKE).withLayers(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a model needs at least 1 layer, got 0");
        assertThatThrownBy(() -> ModelGenerator.generate(tiny(Preset.MIXTRAL_LIKE).withVocabSize(200), dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 259 (3 special tokens + 256 bytes), got 200");
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
        assertThat(List.of(full.vocabSize(), tiny.vocabSize(), small.vocabSize())).containsExactly(32000, 4096, 4096);
        assertThat(List.of(full.layers(), small.layers(), tiny.layers())).containsExactly(2, 4, 4);
        assertThat(Scale.FULL.dtype()).isEqualTo(DType.BF16);
        assertThat(Scale.TINY.dtype()).isEqualTo(DType.F32);
    }

    /** Heads shrink with the width, each head to 16 (tiny) or 32 (small), query heads a multiple of key/value heads. */
    @Test
    void headsShrinkWithTheWidthKeepingTheirGrouping() {
        ModelSpec qwen3Full = ModelSpec.of(Preset.QWEN3_MOE_LIKE, Scale.FULL);
        ModelSpec qwen3Tiny = ModelSpec.of(Preset.QWEN3_MOE_LIKE, Scale.TINY);
        ModelSpec mixtralTiny = ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY);
        ModelSpec mixtralSmall = ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.SMALL);

        assertThat(List.of(qwen3Full.heads(), qwen3Full.kvHeads(), qwen3Full.headDim())).containsExactly(32, 4, 128);
        assertThat(List.of(qwen3Tiny.heads(), qwen3Tiny.kvHeads(), qwen3Tiny.headDim())).containsExactly(8, 1, 16);
        assertThat(List.of(mixtralTiny.heads(), mixtralTiny.kvHeads(), mixtralTiny.headDim())).containsExactly(8, 2, 16);
        assertThat(List.of(mixtralSmall.heads(), mixtralSmall.kvHeads(), mixtralSmall.headDim()))
                .containsExactly(32, 8, 32);
        for (Preset preset : Preset.values()) {
            for (Scale scale : Scale.values()) {
                ModelSpec spec = ModelSpec.of(preset, scale);
                assertThat(spec.heads() % spec.kvHeads()).as("%s %s", preset, scale).isZero();
                assertThat(spec.headDim()).as("%s %s", preset, scale).isBetween(16, 128);
            }
        }
    }

    private static float min(float[] values) {
        float min = Float.POSITIVE_INFINITY;
        for (float v : values) {
            min = Math.min(min, v);
        }
        return min;
    }

    private static float max(float[] values) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            max = Math.max(max, v);
        }
        return max;
    }

    private static double variance(Checkpoint checkpoint, String name) {
        float[] values = checkpoint.tensor(name).data();
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
