package io.moestream.decoder;

import io.moestream.routing.RoutingResult;

/** The routing of one MoE layer in one step. */
public record LayerRouting(int layer, RoutingResult routing) {
}
