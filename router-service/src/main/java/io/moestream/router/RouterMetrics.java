package io.moestream.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.RoutingResult;
import io.moestream.routing.RoutingStats;
import io.moestream.routing.Slot;
import io.moestream.routing.SlotKind;
import io.moestream.routing.SpecName;
import java.util.EnumMap;
import java.util.Map;

/**
 * The router's meters (README catalogue). Per expert slot counts share one name with a {@code kind}
 * tag, so a dashboard can stack them: {@code demand}, {@code kept} (the load {@code n_e}),
 * {@code dropped}, the kinds of kept slots ({@code primary}, {@code rerouted}, {@code expanded},
 * {@code rectified}, {@code filled}), and {@code unavailable} (top-k choices of the expert moved to other
 * experts because it had no live consumer).
 */
final class RouterMetrics {

    static final String SLOTS = "moe.router.slots";
    static final String BATCHES = "moe.router.batches";
    static final String STEP_TOKENS = "moe.router.step.tokens";
    static final String EXPERT_STRAGGLER = "moe.router.expert.straggler";
    static final String RANK_STRAGGLER = "moe.router.rank.straggler";
    static final String ROUTE_TIME = "moe.router.route.duration";
    static final String WRITTEN = "moe.router.written";
    static final String DEAD_LETTERS = "moe.router.dead.letters";
    static final String CONTROL = "moe.router.control";
    static final String POLICY = "moe.router.policy";
    static final String CAPACITY_FACTOR = "moe.router.capacity.factor";
    static final String EXPERT_AVAILABLE = "moe.router.expert.available";

    /** What a record on the wire is, the tag of {@link #WRITTEN}. */
    enum Output { DISPATCH, MANIFEST, TRACE, DEAD_LETTER }

    /** Why a record went to the dead-letter topic, the tag of {@link #DEAD_LETTERS}. */
    enum Refusal { MALFORMED, INVALID, CONTROL }

    private final MeterRegistry registry;
    private final Counter[] demand;
    private final Counter[] kept;
    private final Counter[] dropped;
    private final Counter[] unavailable;
    private final Map<SlotKind, Counter[]> byKind = new EnumMap<>(SlotKind.class);
    private final Counter batches;
    private final DistributionSummary stepTokens;
    private final DistributionSummary expertStraggler;
    private final DistributionSummary rankStraggler;
    private final Timer routeTime;

    RouterMetrics(MeterRegistry registry, int experts, LiveRouting live, ExpertAvailability availability) {
        this.registry = registry;
        demand = perExpert(experts, "demand");
        kept = perExpert(experts, "kept");
        dropped = perExpert(experts, "dropped");
        unavailable = perExpert(experts, "unavailable");
        for (SlotKind kind : SlotKind.values()) {
            byKind.put(kind, perExpert(experts, SpecName.of(kind)));
        }
        batches = Counter.builder(BATCHES).description("token batches routed").register(registry);
        stepTokens = DistributionSummary.builder(STEP_TOKENS).description("tokens per routed batch (step)")
                .baseUnit("tokens").register(registry);
        expertStraggler = DistributionSummary.builder(EXPERT_STRAGGLER)
                .description("per step, max over experts of the load over its mean").register(registry);
        rankStraggler = DistributionSummary.builder(RANK_STRAGGLER)
                .description("per step, max over ranks of the load over its mean").register(registry);
        routeTime = Timer.builder(ROUTE_TIME).description("gate and routing of one batch").register(registry);
        for (Policy policy : Policy.values()) {
            Gauge.builder(POLICY, live, l -> l.current().config().policy() == policy ? 1 : 0)
                    .description("1 for the routing policy in force, 0 for the others")
                    .tag("policy", SpecName.of(policy)).register(registry);
        }
        Gauge.builder(CAPACITY_FACTOR, live, l -> capacityFactor(l.current().config()))
                .description("the capacity factor in force; -1 without capacity").register(registry);
        for (int e = 0; e < experts; e++) {
            int expert = e;
            Gauge.builder(EXPERT_AVAILABLE, availability, a -> a.isAvailable(expert) ? 1 : 0)
                    .description("1 while the expert has a live consumer, 0 while the router routes around it")
                    .tag("expert", Integer.toString(e)).register(registry);
        }
    }

    Timer routeTime() {
        return routeTime;
    }

    void routed(RoutedBatch routed) {
        for (int e = 0; e < unavailable.length; e++) {
            add(unavailable[e], routed.movedFrom()[e]);
        }
        RoutingResult routing = routed.routing();
        RoutingStats stats = routing.stats();
        batches.increment();
        stepTokens.record(stats.tokens());
        expertStraggler.record(stats.expertStraggler());
        rankStraggler.record(stats.rankStraggler());
        for (int e = 0; e < demand.length; e++) {
            add(demand[e], stats.demand().get(e));
            add(kept[e], stats.load().get(e));
        }
        for (int t = 0; t < routing.tokens(); t++) {
            for (Slot slot : routing.kept(t)) {
                byKind.get(slot.kind())[slot.expert()].increment();
            }
            for (int e : routing.dropped(t)) {
                dropped[e].increment();
            }
        }
    }

    void wrote(Output output, long bytes) {
        Counter.builder(WRITTEN).description("bytes of keys and values the router writes").baseUnit("bytes")
                .tag("record", tag(output)).register(registry).increment(bytes);
    }

    void refused(Refusal refusal) {
        Counter.builder(DEAD_LETTERS).description("records sent to the dead-letter topic")
                .tag("cause", tag(refusal)).register(registry).increment();
    }

    void control(boolean applied) {
        Counter.builder(CONTROL).description("routing control records read")
                .tag("outcome", applied ? "applied" : "rejected").register(registry).increment();
    }

    private Counter[] perExpert(int experts, String kind) {
        Counter[] counters = new Counter[experts];
        for (int e = 0; e < experts; e++) {
            counters[e] = Counter.builder(SLOTS).description("slots per expert and kind, summed over steps")
                    .tag("expert", Integer.toString(e)).tag("kind", kind).register(registry);
        }
        return counters;
    }

    private static void add(Counter counter, int amount) {
        if (amount > 0) {
            counter.increment(amount);
        }
    }

    private static double capacityFactor(RoutingConfig config) {
        return config.hasCapacity() ? config.capacityFactor() : -1;
    }

    private static String tag(Enum<?> value) {
        return SpecName.of(value);
    }
}
