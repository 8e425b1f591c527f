package io.moestream.router;

import io.moestream.pipeline.RoutingSettings;
import io.moestream.routing.Placement;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The router in force. A control record replaces it as a whole, so a batch reads one reference
 * and is routed entirely under the old or entirely under the new policy, never a mix.
 */
final class LiveRouting {

    private final RoutingConfig configured;
    private final Placement placement;
    private final AtomicReference<Router> current;

    /** @param configured the model's defaults with {@code moe.routing.*} applied */
    LiveRouting(RoutingConfig configured, Placement placement) {
        this.configured = configured;
        this.placement = placement;
        this.current = new AtomicReference<>(new Router(configured, placement));
    }

    Router current() {
        return current.get();
    }

    /**
     * Options not named keep the configured value, not the previous control value: the latest
     * control record alone says how routing differs from the service's configuration.
     *
     * @throws IllegalArgumentException for an unknown option or value, or a top-k the model cannot route
     */
    Router apply(Map<String, ?> options) {
        Router next = new Router(RoutingSettings.apply(configured, options), placement);
        current.set(next);
        return next;
    }
}
