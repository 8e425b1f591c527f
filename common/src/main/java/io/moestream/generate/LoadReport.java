package io.moestream.generate;

import java.util.Arrays;

/**
 * How many top-k slots each expert received over a corpus, routed dropless.
 *
 * @param tokens tokens routed
 * @param topK slots per token
 * @param load per expert, the slots that chose it
 */
public record LoadReport(int tokens, int topK, long[] load) {

    public LoadReport {
        load = load.clone();
    }

    /** The straggler factor: the busiest expert's load over the mean load (1 is perfectly balanced). */
    public double busiestOverMean() {
        double mean = (double) tokens * topK / load.length;
        return Arrays.stream(load).max().orElse(0) / mean;
    }

    /** One line per expert: a bar scaled to the busiest expert, the load, and the load over the mean. */
    public String bars(int width) {
        long busiest = Math.max(1, Arrays.stream(load).max().orElse(0));
        double mean = (double) tokens * topK / load.length;
        StringBuilder out = new StringBuilder();
        for (int e = 0; e < load.length; e++) {
            int filled = (int) Math.round((double) width * load[e] / busiest);
            out.append(String.format("  expert %3d |%s%s| %7d %5.2fx%n", e, "#".repeat(filled),
                    " ".repeat(width - filled), load[e], load[e] / mean));
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LoadReport r && tokens == r.tokens && topK == r.topK && Arrays.equals(load, r.load);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * tokens + topK) + Arrays.hashCode(load);
    }

    @Override
    public String toString() {
        return "LoadReport[tokens=" + tokens + ", topK=" + topK + ", load=" + Arrays.toString(load) + "]";
    }
}
