package io.moestream.routing;

import io.moestream.routing.Options.DropOrder;
import io.moestream.routing.Options.Metric;
import io.moestream.routing.Options.RerouteMode;

import java.util.ArrayList;
import java.util.List;

/** Composes a policy of ROUTING-SPEC section 2 from its stages. */
final class PolicyRunner {

    private final List<RoutingStage> stages;

    private PolicyRunner(List<RoutingStage> stages) {
        this.stages = List.copyOf(stages);
    }

    static PolicyRunner forPolicy(RoutingConfig config) {
        List<RoutingStage> stages = new ArrayList<>();
        switch (config.policy()) {
            case DROPLESS -> stages.add(new KeepTopK());
            case VANILLA -> stages.add(vanilla(config));
            case TOKEN_DROP -> stages.add(new TokenDrop(config.metric()));
            case TOKEN_REROUTE -> {
                if (config.mode() == RerouteMode.GREEDY) {
                    stages.add(new TokenDrop(config.metric()));
                    stages.add(new GreedyReroute());
                } else {
                    stages.add(new RerouteRounds(config.rounds()));
                }
            }
            case EXPANDED_DROP -> stages.add(new ExpandedDrop(config.maxExpertsPerToken()));
            case RECTIFY, RECTIFY_IR, RECTIFY_FR -> {
                stages.add(vanilla(config));
                if (config.policy().intraGpuRectification()) {
                    stages.add(new IntraGpuRectification(config.irCapacity(), config.irExcludeDroppingExpert()));
                }
                if (config.policy().fillInRectification()) {
                    stages.add(new FillInRectification());
                }
            }
        }
        return new PolicyRunner(stages);
    }

    /** Vanilla with {@code drop-order score} is Megatron's {@code probs} policy, which is token-drop by score. */
    private static RoutingStage vanilla(RoutingConfig config) {
        return config.dropOrder() == DropOrder.SCORE ? new TokenDrop(Metric.SCORE) : new VanillaPosition();
    }

    void assign(RoutingStep step, Assignment assignment) {
        for (RoutingStage stage : stages) {
            stage.apply(step, assignment);
        }
    }
}
