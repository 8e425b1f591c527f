package io.moestream.expert.service;

import io.moestream.expert.ExpertWeights;
import io.moestream.model.Checkpoint;
import io.moestream.model.ModelConfig;
import io.moestream.model.MoeLayerLoader;
import io.moestream.model.MoeLayerWeights;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.TopicLayout;
import io.moestream.routing.Placement;
import io.moestream.wire.ExpertRows;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The experts one rank serves and their weights, read from the checkpoint: in every MoE layer, the routed
 * experts {@code L(rank)} of the placement, and the shared experts when asked for, under their wire ids
 * ({@code -1 - s}) so that one kernel per layer computes both. Every layer: a dense worker sends each MoE
 * layer's rows to the same expert topics, and the single-layer pipeline only the layer it serves.
 *
 * @param byLayer by decoder layer index, ascending, then by wire id: routed experts first, ascending, then shared
 * @param layout the topics of the whole deployment, as this model and these settings make them
 */
public record RankExperts(int rank, int hidden, SortedMap<Integer, Map<Integer, ExpertWeights>> byLayer,
                          TopicLayout layout) {

    public RankExperts {
        SortedMap<Integer, Map<Integer, ExpertWeights>> copy = new TreeMap<>();
        byLayer.forEach((layer, weights) -> copy.put(layer, Collections.unmodifiableMap(new LinkedHashMap<>(weights))));
        byLayer = Collections.unmodifiableSortedMap(copy);
    }

    static RankExperts load(MoeSettings moe, ExpertSettings expert) {
        Path dir = moe.modelDir();
        ModelConfig config = ModelConfig.read(dir).orElseThrow(() -> new IllegalStateException(
                "moe.model.dir " + dir + " holds no " + ModelConfig.FILE));
        Placement placement = moe.placement(config.numExperts());
        if (expert.rank() >= placement.ranks()) {
            throw new IllegalStateException("moe.expert.rank " + expert.rank() + " is not a rank of " + placement
                    + " (moe.ranks=" + moe.ranks() + ")");
        }
        Set<Integer> routed = Arrays.stream(placement.expertsOn(expert.rank())).boxed().collect(Collectors.toSet());
        SortedMap<Integer, Map<Integer, ExpertWeights>> byLayer = new TreeMap<>();
        int hidden = 0;
        int sharedCount = 0;
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            for (int l : moeLayers(config, moe.modelLayer())) {
                MoeLayerWeights layer = MoeLayerLoader.load(checkpoint, config, l, routed);
                Map<Integer, ExpertWeights> hosted = new LinkedHashMap<>(layer.experts());
                List<ExpertWeights> shared = layer.sharedExperts();
                if (expert.shared()) {
                    for (int s = 0; s < shared.size(); s++) {
                        hosted.put(ExpertRows.sharedExpertId(s), shared.get(s));
                    }
                }
                byLayer.put(l, hosted);
                hidden = layer.hidden();
                sharedCount = shared.size();
            }
        }
        TopicLayout layout = new TopicLayout(moe.ranks(), config.numExperts(), sharedCount, expert.replicas());
        return new RankExperts(expert.rank(), hidden, byLayer, layout);
    }

    /** Every MoE layer of the model; only {@code modelLayer} when its config does not say how many layers it has. */
    private static List<Integer> moeLayers(ModelConfig config, int modelLayer) {
        if (config.numHiddenLayers() == 0) {
            return List.of(modelLayer);
        }
        return IntStream.range(0, config.numHiddenLayers()).filter(config::isMoeLayer).boxed().toList();
    }

    /** The wire ids of the hosted experts, routed then shared: the same in every layer. */
    public Set<Integer> ids() {
        return byLayer.get(byLayer.firstKey()).keySet();
    }

    /** The MoE layers whose experts are hosted here, ascending. */
    public Set<Integer> layers() {
        return byLayer.keySet();
    }
}
