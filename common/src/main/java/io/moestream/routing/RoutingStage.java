package io.moestream.routing;

/** One step of a policy: reads the prepared step and adds, removes or re-kinds kept slots. */
interface RoutingStage {

    void apply(RoutingStep step, Assignment assignment);
}
