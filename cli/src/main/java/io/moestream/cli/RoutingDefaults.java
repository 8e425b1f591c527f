package io.moestream.cli;

import io.moestream.routing.RoutingConfig;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Gives each routing option the default of {@link RoutingConfig.Builder}, which follows the spec,
 * so the defaults are written down once and the help shows them by their spec names. Options that
 * are not fields of the config fall back to their own {@code defaultValue}.
 */
final class RoutingDefaults implements IDefaultValueProvider {

    private static final Map<String, String> DEFAULTS = ConfigFields.asOptions(
            RoutingConfig.builder(RoutingOptions.DEFAULT_POLICY, RoutingOptions.DEFAULT_TOP_K).build());

    @Override
    public String defaultValue(ArgSpec arg) {
        return arg instanceof OptionSpec option ? DEFAULTS.get(option.longestName().substring(2)) : null;
    }
}
