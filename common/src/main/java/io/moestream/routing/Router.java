package io.moestream.routing;

/**
 * Routes steps under one configuration and placement: the single entry point that the CLI, the
 * in-process layer and the router service all call. Stateless between steps and thread-safe.
 */
public final class Router {

    private final RoutingConfig config;
    private final Placement placement;

    public Router(RoutingConfig config, Placement placement) {
        if (config.topK() > placement.experts()) {
            throw new IllegalArgumentException("top-k (" + config.topK() + ") exceeds the number of experts ("
                    + placement.experts() + ")");
        }
        this.config = config;
        this.placement = placement;
    }

    public RoutingConfig config() {
        return config;
    }

    public Placement placement() {
        return placement;
    }

    /**
     * Routes one step.
     *
     * @param logits {@code a[t][e]}, one row of {@code E} finite values per token
     * @param sourceRank the rank the step's tokens sit on
     * @throws IllegalArgumentException for a wrong row length, a non-finite logit or an unknown rank,
     *         naming the token and expert
     */
    public RoutingResult route(double[][] logits, int sourceRank) {
        RoutingStep step = RoutingStep.prepare(config, placement, logits, sourceRank);
        Assignment assignment = new Assignment(step);
        PolicyRunner.forPolicy(config).assign(step, assignment);
        return ResultAssembler.assemble(step, assignment);
    }
}
