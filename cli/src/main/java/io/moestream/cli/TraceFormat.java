package io.moestream.cli;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The trace format, one step per line (JSON Lines): {@code {"sourceRank": r, "logits": [[a00, a01,
 * ...], ...]}} with one row of {@code E} logits per token. {@code sourceRank} may be left out and
 * is then 0.
 */
final class TraceFormat {

    private static final int DECIMALS = 10_000;

    private TraceFormat() {
    }

    /** One line (without the newline), logits with 4 decimals: enough for routing, and small files. */
    static String format(int sourceRank, double[][] logits) {
        StringBuilder line = new StringBuilder(16 + logits.length * (logits[0].length * 8 + 2));
        line.append("{\"sourceRank\":").append(sourceRank).append(",\"logits\":[");
        for (int t = 0; t < logits.length; t++) {
            line.append(t == 0 ? "[" : ",[");
            for (int e = 0; e < logits[t].length; e++) {
                if (e > 0) {
                    line.append(',');
                }
                appendFixed4(line, logits[t][e]);
            }
            line.append(']');
        }
        return line.append("]}").toString();
    }

    /**
     * Parses one line.
     *
     * @throws IllegalArgumentException saying what is wrong, without the location (the caller knows it)
     */
    static TraceStep parse(String line, String location) {
        JsonNode step;
        try {
            step = Json.MAPPER.readTree(line);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("malformed JSON: " + withoutSource(e.getOriginalMessage()));
        }
        if (!step.isObject()) {
            throw new IllegalArgumentException("expected an object {\"sourceRank\": r, \"logits\": [[...], ...]}");
        }
        return new TraceStep(location, sourceRank(step.get("sourceRank")), logits(step.get("logits")));
    }

    private static int sourceRank(JsonNode rank) {
        if (rank == null) {
            return 0;
        }
        if (!rank.canConvertToExactIntegral() || !rank.canConvertToInt() || rank.intValue() < 0) {
            throw new IllegalArgumentException("sourceRank must be a non-negative integer, got " + rank);
        }
        return rank.intValue();
    }

    private static double[][] logits(JsonNode rows) {
        if (rows == null || !rows.isArray() || rows.isEmpty()) {
            throw new IllegalArgumentException("\"logits\" must be a non-empty array of rows, one per token");
        }
        double[][] logits = new double[rows.size()][];
        for (int t = 0; t < logits.length; t++) {
            JsonNode row = rows.get(t);
            if (!row.isArray()) {
                throw new IllegalArgumentException("token " + t + ": expected an array of logits, got " + row);
            }
            logits[t] = new double[row.size()];
            for (int e = 0; e < logits[t].length; e++) {
                JsonNode logit = row.get(e);
                if (!logit.isNumber()) {
                    throw new IllegalArgumentException("token " + t + ", expert " + e + ": logit is not a number: "
                            + logit);
                }
                logits[t][e] = logit.doubleValue();
            }
        }
        return logits;
    }

    // Jackson points at the source (redacted anyway) in parentheses; the caller names the line instead.
    private static String withoutSource(String message) {
        return message.replaceAll("\\s*\\(start marker at \\[Source.*", "").replace('\n', ' ');
    }

    // Fixed point by hand: String.format is slow for the millions of numbers of a large trace.
    private static void appendFixed4(StringBuilder out, double value) {
        long scaled = Math.round(value * DECIMALS);
        if (scaled < 0) {
            out.append('-');
            scaled = -scaled;
        }
        String fraction = Long.toString(scaled % DECIMALS);
        out.append(scaled / DECIMALS).append('.').append("0000", fraction.length(), 4).append(fraction);
    }
}
