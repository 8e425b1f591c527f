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
import java.util.stream.Collectors;

/**
 * The experts one rank serves and their weights, read from the checkpoint: the routed experts {@code L(rank)}
 * of the placement, and the shared experts when asked for, under their wire ids ({@code -1 - s}) so that one
 * kernel computes both.
 *
 * @param weights by wire id: routed experts first, ascending, then shared ones
 * @param layout the topics of the whole deployment, as this model and these settings make them
 */
public record RankExperts(int rank, int hidden, Map<Integer, ExpertWeights> weights, TopicLayout layout) {

    public RankExperts {
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
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
        MoeLayerWeights layer;
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            layer = MoeLayerLoader.load(checkpoint, config, moe.modelLayer(), routed);
        }
        Map<Integer, ExpertWeights> hosted = new LinkedHashMap<>(layer.experts());
        List<ExpertWeights> shared = layer.sharedExperts();
        if (expert.shared()) {
            for (int s = 0; s < shared.size(); s++) {
                hosted.put(ExpertRows.sharedExpertId(s), shared.get(s));
            }
        }
        TopicLayout layout = new TopicLayout(moe.ranks(), config.numExperts(), shared.size(), expert.replicas());
        return new RankExperts(expert.rank(), layer.hidden(), hosted, layout);
    }

    /** The wire ids of the hosted experts, routed then shared. */
    public Set<Integer> ids() {
        return weights.keySet();
    }
}
