package io.moestream.pipeline;

import io.moestream.routing.Options;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Routing options by their spec names ({@code policy}, {@code capacity-factor}, {@code drop-order},
 * ...), as they come from service properties ({@code moe.routing.*}) and from control records, applied
 * on top of a base configuration. Names not given keep the base's value; an unknown name or value
 * fails with a message that says which and what is valid.
 */
public final class RoutingSettings {

    /** Every option name this understands: the CLI's flags without the dashes. */
    public static final Set<String> NAMES = new TreeSet<>(Set.of("policy", "top-k", "capacity-factor", "rounding",
            "score-function", "weights", "drop-order", "metric", "seed", "mode", "rounds", "max-experts-per-token",
            "ir-capacity", "ir-exclude-dropping-expert", "capacity-scope"));

    private RoutingSettings() {
    }

    /**
     * @param options values as text or as JSON scalars; {@code capacity-factor} and
     *        {@code max-experts-per-token} accept {@code none} (or JSON null) to unset
     */
    public static RoutingConfig apply(RoutingConfig base, Map<String, ?> options) {
        RoutingConfig.Builder b = base.toBuilder();
        for (Map.Entry<String, ?> option : options.entrySet()) {
            // Environment variables reach Spring's map binding as MAX_EXPERTS... or max.experts...
            String name = option.getKey().toLowerCase(Locale.ROOT).replace('_', '-').replace('.', '-');
            Object raw = option.getValue();
            String value = raw == null ? "none" : raw.toString().trim();
            try {
                set(b, name, value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("routing option " + name + ": '" + value + "' is not a number");
            }
        }
        return b.build();
    }

    private static void set(RoutingConfig.Builder b, String name, String value) {
        switch (name) {
            case "policy" -> b.policy(SpecName.parse(Policy.class, name, value));
            case "top-k" -> b.topK(Integer.parseInt(value));
            case "capacity-factor" -> b.capacityFactor(isNone(value) ? null : Double.parseDouble(value));
            case "rounding" -> b.rounding(SpecName.parse(Options.Rounding.class, name, value));
            case "score-function" -> b.scoreFunction(SpecName.parse(Options.ScoreFunction.class, name, value));
            case "weights" -> b.weights(SpecName.parse(Options.Weights.class, name, value));
            case "drop-order" -> b.dropOrder(SpecName.parse(Options.DropOrder.class, name, value));
            case "metric" -> b.metric(SpecName.parse(Options.Metric.class, name, value));
            case "seed" -> b.seed(Long.parseLong(value));
            case "mode" -> b.mode(SpecName.parse(Options.RerouteMode.class, name, value));
            case "rounds" -> b.rounds(Integer.parseInt(value));
            case "max-experts-per-token" -> b.maxExpertsPerToken(isNone(value) ? null : Integer.parseInt(value));
            case "ir-capacity" -> b.irCapacity(SpecName.parse(Options.IrCapacity.class, name, value));
            case "ir-exclude-dropping-expert" -> b.irExcludeDroppingExpert(parseBoolean(name, value));
            case "capacity-scope" -> b.capacityScope(SpecName.parse(Options.CapacityScope.class, name, value));
            default -> throw new IllegalArgumentException("unknown routing option '" + name + "'; expected one of "
                    + String.join(", ", NAMES));
        }
    }

    private static boolean isNone(String value) {
        return value.isEmpty() || value.equalsIgnoreCase("none") || value.equalsIgnoreCase("null");
    }

    private static boolean parseBoolean(String name, String value) {
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new IllegalArgumentException("routing option " + name + ": '" + value + "' is not true or false");
    }
}
