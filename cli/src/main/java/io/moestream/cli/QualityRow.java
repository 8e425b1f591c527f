package io.moestream.cli;

import io.moestream.pipeline.RoutingSettings;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of the quality table: a policy and the routing options that make its variant, written
 * {@code POLICY[:OPTION=VALUE]...} with the spec's names, e.g. {@code token-drop:metric=order}.
 *
 * @param spec as written
 * @param options by spec name, the policy included; never a capacity factor, which is the table's column
 */
record QualityRow(String spec, Map<String, String> options) {

    /** The rows of issue #12's table: the papers' policies and the variants they compare. */
    static final List<String> DEFAULT_ROWS = List.of("dropless", "vanilla:drop-order=position",
            "vanilla:drop-order=score", "token-drop:metric=score", "token-drop:metric=order",
            "token-drop:metric=reverse", "token-drop:metric=random", "token-reroute:mode=rounds",
            "token-reroute:mode=greedy", "expanded-drop", "rectify-ir", "rectify-fr", "rectify");

    static final String DROPLESS = SpecName.of(Policy.DROPLESS);

    /** @throws UserError naming the row when it is malformed or an option or value is unknown */
    static QualityRow parse(String spec) {
        String[] parts = spec.strip().split(":");
        Map<String, String> options = new LinkedHashMap<>();
        options.put("policy", parts[0]);
        for (int i = 1; i < parts.length; i++) {
            String[] option = parts[i].split("=", 2);
            if (option.length != 2 || option[0].isBlank() || option[1].isBlank()) {
                throw new UserError("row '" + spec + "': expected OPTION=VALUE after ':', got '" + parts[i] + "'");
            }
            String name = option[0].strip();
            if (name.equals("policy") || name.equals("capacity-factor")) {
                throw new UserError("row '" + spec + "': " + name + " is not a row option (the policy comes first,"
                        + " the capacity factors are the columns)");
            }
            if (options.put(name, option[1].strip()) != null) {
                throw new UserError("row '" + spec + "': " + name + " given twice");
            }
        }
        QualityRow row = new QualityRow(spec.strip(), options);
        // Checks the policy, the names and the values now, before the model loads.
        row.config(RoutingConfig.builder(Policy.DROPLESS, RoutingOptions.DEFAULT_TOP_K).build(), null);
        return row;
    }

    String policy() {
        return options.get("policy");
    }

    boolean isDropless() {
        return policy().equals(DROPLESS);
    }

    /** Dropless with no option of its own: the reference every row is compared with. */
    boolean isReference() {
        return isDropless() && options.size() == 1;
    }

    /** The policy, then its options' values in brackets: {@code token-drop (order)}. */
    String label() {
        List<String> values = options.entrySet().stream().filter(o -> !o.getKey().equals("policy"))
                .map(Map.Entry::getValue).toList();
        return values.isEmpty() ? policy() : policy() + " (" + String.join(", ", values) + ")";
    }

    /**
     * {@code base} (the model's own routing) with this row's options and {@code capacityFactor} applied
     * over it, as {@code moe score} applies its command line's.
     */
    RoutingConfig config(RoutingConfig base, Double capacityFactor) {
        Map<String, Object> all = new LinkedHashMap<>(options);
        if (!isDropless()) {
            all.put("capacity-factor", capacityFactor);
        }
        try {
            return RoutingSettings.apply(base, all);
        } catch (IllegalArgumentException e) {
            throw new UserError("row '" + spec + "': " + e.getMessage());
        }
    }
}
