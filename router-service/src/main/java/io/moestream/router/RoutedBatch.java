package io.moestream.router;

import io.moestream.pipeline.UnavailableExperts;
import io.moestream.routing.RoutingResult;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RoutingManifest;
import io.moestream.wire.TokenBatch;
import java.util.List;

/**
 * One batch after routing: what goes to the expert topics and to {@code expert-outputs}.
 *
 * @param logits the gate's {@code a[t][e]}, for tracing
 * @param dispatches one per expert that computes at least one row, routed experts by id, then shared ones
 * @param unavailable the experts routed around for want of a consumer, and the slots moved off them per span
 * @param movedFrom per expert, the slots of its top-k choices moved off it because it was unavailable
 */
record RoutedBatch(TokenBatch batch, double[][] logits, RoutingResult routing, List<ExpertRows> dispatches,
                   RoutingManifest manifest, UnavailableExperts unavailable, int[] movedFrom) {
}
