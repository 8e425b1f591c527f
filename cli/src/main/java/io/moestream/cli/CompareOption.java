package io.moestream.cli;

import picocli.CommandLine.Option;

/** {@code --compare dropless}: also run under dropless and report the policy's cost against it. A picocli mixin. */
final class CompareOption {

    @Option(names = "--compare", paramLabel = "dropless",
            description = "Also run under dropless and report the difference the policy makes against it.")
    String compare;

    /** Whether dropless was asked for; any other value is refused. */
    boolean dropless() {
        if (compare != null && !compare.equals("dropless")) {
            throw new UserError("--compare takes only 'dropless', got '" + compare + "'");
        }
        return compare != null;
    }
}
