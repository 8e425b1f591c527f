package io.moestream.gateway;

import io.moestream.expert.JavaExpertKernel;
import io.moestream.layer.LayerOutput;
import io.moestream.layer.MoeLayer;
import io.moestream.layer.MoeLayers;
import io.moestream.model.Checkpoint;
import io.moestream.model.ModelConfig;
import io.moestream.model.MoeLayerLoader;
import io.moestream.model.MoeLayerWeights;
import io.moestream.routing.ExpertDispatch;
import io.moestream.routing.Placement;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RoutingManifest;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;

/**
 * The test's stand-in for the router and the expert services: routes a token batch with the
 * in-process layer and computes every dispatched expert's rows with the reference kernel, giving the
 * parts that {@code expert-outputs} would carry and the layer output reassembly must reproduce.
 */
final class RouterAndExperts {

    /** What router and experts send back for one batch, and the layer output of the batch. */
    record Answer(List<byte[]> parts, float[] expected, int[] expertsWithRows) {
    }

    private final MoeLayer layer;
    private final JavaExpertKernel kernel;
    private final int hidden;

    RouterAndExperts(Path modelDir, int ranks) {
        ModelConfig config = ModelConfig.read(modelDir).orElseThrow();
        MoeLayerWeights weights;
        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            weights = MoeLayerLoader.load(checkpoint, config, 0);
        }
        kernel = new JavaExpertKernel(weights.experts());
        hidden = weights.hidden();
        layer = MoeLayers.build(weights, MoeLayers.defaultRouting(weights),
                Placement.contiguous(weights.numExperts(), ranks), kernel, null);
    }

    /**
     * @param answers which experts send their rows; the others stay silent
     * @param seed the order the parts are shuffled into
     */
    Answer answer(TokenBatch batch, IntPredicate answers, long seed) {
        LayerOutput out = layer.forward(batch.states(), batch.tokens(), batch.sourceRank());
        RoutingManifest manifest = RoutingManifest.of(batch, out.routing(), "token-drop", Double.NaN, 0,
                new double[0]);
        List<byte[]> parts = new ArrayList<>();
        ExpertDispatch dispatch = out.routing().dispatch();
        for (int e = 0; e < dispatch.experts(); e++) {
            int[] tokens = dispatch.tokens(e);
            if (tokens.length > 0 && answers.test(e)) {
                float[] x = new float[tokens.length * hidden];
                for (int i = 0; i < tokens.length; i++) {
                    System.arraycopy(batch.states(), tokens[i] * hidden, x, i * hidden, hidden);
                }
                float[] y = new float[x.length];
                kernel.forward(e, x, tokens.length, y);
                parts.add(new ExpertRows(batch.batchId(), 0, e, tokens, hidden, y, 1000).toBytes(WireType.F32));
            }
        }
        parts.add(manifest.toBytes());
        Collections.shuffle(parts, new Random(seed));
        return new Answer(parts, out.output(), manifest.expertsWithRows());
    }
}
