package io.moestream.layer;

import io.moestream.routing.AvoidedExperts;
import io.moestream.routing.RoutingResult;

/**
 * What one MoE-layer forward returns.
 *
 * @param output {@code [tokens][hidden]} row-major; a token with no kept slot gets only the shared
 *        experts' contribution (zero without them); the residual outside the layer carries it
 * @param avoided the experts the step was routed without ({@link ExpertExecutor#unavailable}), and what it cost
 */
public record LayerOutput(float[] output, RoutingResult routing, AvoidedExperts avoided) {
}
