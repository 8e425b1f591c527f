package io.moestream.pipeline;

import io.moestream.routing.Placement;
import io.moestream.wire.WireType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@code moe.*} settings every service shares (docs/PIPELINE.md). A plain record so that the
 * Spring services bind it ({@code Binder.get(env).bind("moe", MoeSettings.class)}) and local mode
 * and tests build it directly.
 *
 * @param placement expert to rank; empty for the contiguous default
 * @param routing routing options by spec name, applied over the model's defaults
 */
public record MoeSettings(String topicsPrefix, Path modelDir, int modelLayer, int ranks, List<Integer> placement,
                          WireType wireType, Map<String, String> routing) {

    public MoeSettings {
        topicsPrefix = topicsPrefix == null ? Topics.DEFAULT_PREFIX : topicsPrefix;
        ranks = ranks < 1 ? 1 : ranks;
        placement = placement == null ? List.of() : List.copyOf(placement);
        wireType = wireType == null ? WireType.F32 : wireType;
        routing = routing == null ? Map.of() : Map.copyOf(routing);
    }

    public Topics topics() {
        return new Topics(topicsPrefix);
    }

    /** The configured placement, or the contiguous one over {@code ranks}. */
    public Placement placement(int experts) {
        if (placement.isEmpty()) {
            return Placement.contiguous(experts, ranks);
        }
        if (placement.size() != experts) {
            throw new IllegalArgumentException("moe.placement lists " + placement.size() + " experts, the model has "
                    + experts);
        }
        Placement explicit = Placement.of(placement.stream().mapToInt(Integer::intValue).toArray());
        if (explicit.ranks() != ranks) {
            throw new IllegalArgumentException("moe.placement uses " + explicit.ranks() + " ranks but moe.ranks is "
                    + ranks);
        }
        return explicit;
    }
}
