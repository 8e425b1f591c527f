package io.moestream.cli;

import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** What the replay reports share: the header naming the trace and configuration, and number formats. */
final class Reports {

    private static final int WIDTH = 96;
    private static final String INDENT = "         ";

    private Reports() {
    }

    /**
     * Prints the trace line and the configuration, every option by its spec name except
     * {@code leaveOut} (the ones a comparison varies).
     */
    static void header(PrintWriter out, String trace, Placement placement, ReplayTotals totals,
                       RoutingConfig config, Set<String> leaveOut) {
        out.printf("trace    %s: %s, %s, %s on %s%n", trace, count(totals.steps(), "step"),
                count(totals.tokens(), "token"), count(placement.experts(), "expert"),
                count(placement.ranks(), "rank"));
        Map<String, String> fields = ConfigFields.asOptions(config);
        // The config carries a factor for the policies that use one; under dropless (or gamma <= 0) it
        // sets no capacity, and the header says so, as the steps' figures do.
        if (!config.hasCapacity()) {
            fields.put("capacity-factor", null);
        }
        List<String> options = new ArrayList<>();
        for (Map.Entry<String, String> option : fields.entrySet()) {
            if (!leaveOut.contains(option.getKey())) {
                options.add(option.getKey() + " " + (option.getValue() == null ? "none" : option.getValue()));
            }
        }
        printWrapped(out, "routing  ", String.join(", ", options));
    }

    private static String count(long n, String noun) {
        return String.format(Locale.ROOT, "%,d %s%s", n, noun, n == 1 ? "" : "s");
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }

    static String decimal(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    // Breaks after ", " so that no option is split across lines.
    private static void printWrapped(PrintWriter out, String first, String text) {
        StringBuilder line = new StringBuilder(first);
        for (String word : text.split("(?<=, )")) {
            if (line.length() + word.stripTrailing().length() > WIDTH && line.length() > INDENT.length()) {
                out.println(line.toString().stripTrailing());
                line.setLength(0);
                line.append(INDENT);
            }
            line.append(word);
        }
        out.println(line.toString().stripTrailing());
    }
}
