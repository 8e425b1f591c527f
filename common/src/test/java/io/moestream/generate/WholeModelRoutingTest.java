package io.moestream.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.decoder.JavaBackend;
import io.moestream.decoder.Scorer;
import io.moestream.routing.Options.Weights;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.Corpus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A generated model run whole by the decoder engine: every MoE layer routes the residual stream
 * after attention and RMSNorm, not the embeddings {@link CorpusLoads} measures, and still lands in
 * the preset's band; and the logits have a spread, not a flat line. Two families keep it quick:
 * OLMoE with its whole-projection q/k norms, Qwen3-MoE with per-head norms, 8:1 grouped-query
 * attention and a dense last layer.
 */
class WholeModelRoutingTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = Preset.class, names = {"OLMOE_LIKE", "QWEN3_MOE_LIKE"})
    void everyMoeLayerRoutesTheCorpusAsSkewedAsThePresetSays(Preset preset) {
        ModelSpec spec = ModelSpec.of(preset, Scale.TINY);
        ModelGenerator.generate(spec, dir);
        GeneratedTokenizer tokenizer = GeneratedTokenizer.of(spec);
        List<int[]> sequences = Corpus.bundled().texts().stream().map(tokenizer::encode).toList();
        int experts = preset.experts();
        Map<Integer, long[]> loads = new TreeMap<>();
        List<Double> logitSpreads = new ArrayList<>();

        try (DecoderEngine engine = DecoderEngine.load(dir, new JavaBackend())) {
            RoutingConfig dropless = RoutingConfig.builder(Policy.DROPLESS, preset.topK())
                    .weights(preset.normTopkProb() ? Weights.TOPK : Weights.RAW).build();
            DecoderModel model = engine.model(dropless, Placement.contiguous(experts, 1));
            new Scorer(model, null, 0, 0).score(sequences, routing -> {
                long[] load = loads.computeIfAbsent(routing.layer(), layer -> new long[experts]);
                List<Integer> stepLoad = routing.routing().stats().load();
                for (int e = 0; e < experts; e++) {
                    load[e] += stepLoad.get(e);
                }
            }, (first, step, output) -> logitSpreads.add(deviation(output.row(output.rows() - 1))));
        }

        int tokens = sequences.stream().mapToInt(ids -> ids.length).sum();
        double mean = (double) tokens * preset.topK() / experts;
        List<Integer> moeLayers = new ArrayList<>();
        for (int layer = 0; layer < spec.layers(); layer++) {
            if (!spec.denseLayers().contains(layer)) {
                moeLayers.add(layer);
            }
        }
        assertThat(loads.keySet()).containsExactlyElementsOf(moeLayers);
        loads.forEach((layer, load) -> assertThat(Arrays.stream(load).max().orElseThrow() / mean)
                .as("busiest expert over the mean load in layer %d", layer)
                .isBetween(preset.targetLow(), preset.targetHigh()));
        assertThat(logitSpreads).allSatisfy(spread -> assertThat(spread).isBetween(0.5, 2.0));
    }

    private static double deviation(float[] values) {
        double sum = 0;
        double squares = 0;
        for (float v : values) {
            sum += v;
            squares += (double) v * v;
        }
        double mean = sum / values.length;
        return Math.sqrt(squares / values.length - mean * mean);
    }
}
