package io.moestream.decoder;

import io.moestream.routing.AvoidedExperts;
import io.moestream.routing.RoutingResult;

/**
 * The routing of one MoE layer in one step.
 *
 * @param avoided the experts it went without, and the slots that moved off them
 */
public record LayerRouting(int layer, RoutingResult routing, AvoidedExperts avoided) {
}
