package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class TraceCommandTest {

    private static final int EXPERTS = 8;

    @TempDir
    Path dir;

    @Test
    void writesTheAskedShapeWithSourceRanksInTurnAndFourDecimals() throws IOException {
        List<String> lines = trace("--experts", "5", "--tokens", "7", "--steps", "3", "--ranks", "2", "--seed", "1");

        assertThat(lines).hasSize(3);
        for (int s = 0; s < lines.size(); s++) {
            JsonNode step = Json.MAPPER.readTree(lines.get(s));
            assertThat(step.get("sourceRank").intValue()).isEqualTo(s % 2);
            assertThat(step.get("logits").size()).isEqualTo(7);
            step.get("logits").forEach(row -> assertThat(row.size()).isEqualTo(5));
        }
        String logits = lines.get(0).substring(lines.get(0).indexOf("[["));
        assertThat(logits.split("[\\[\\],}]+")).filteredOn(text -> !text.isEmpty()).hasSize(35)
                .allMatch(number -> number.matches("-?\\d+\\.\\d{4}"));
    }

    @Test
    void isDeterministicForASeedAndDiffersForAnother() throws IOException {
        List<String> first = trace("--seed", "7");
        List<String> again = trace("--seed", "7");
        List<String> other = trace("--seed", "8");

        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void writesToStdoutWithoutOutput() throws IOException {
        Moe moe = Moe.run("trace", "--tokens", "3", "--steps", "2");

        assertThat(moe.exitCode()).isZero();
        assertThat(moe.out().lines().toList()).isEqualTo(trace("--tokens", "3", "--steps", "2"));
    }

    @Test
    void skewZeroIsBalanced() throws IOException {
        double[] shares = firstChoiceShares(trace("--skew", "0", "--tokens", "4096", "--steps", "4"));

        assertThat(busiestOverMean(shares)).isLessThan(1.1);
    }

    /** X = 1: first choices are Zipf, share of popularity rank r = (r+1)^-1 / H_8; busiest 8/H_8 = 2.94x. */
    @Test
    void skewOneGivesZipfFirstChoices() throws IOException {
        double[] shares = firstChoiceShares(trace("--skew", "1", "--tokens", "4096", "--steps", "4"));

        double harmonic = 0;
        for (int r = 0; r < EXPERTS; r++) {
            harmonic += 1.0 / (r + 1);
        }
        assertThat(busiestOverMean(shares)).isCloseTo(EXPERTS / harmonic, within(0.15));
        double[] byPopularity = shares.clone();
        Arrays.sort(byPopularity);
        for (int r = 0; r < EXPERTS; r++) {
            assertThat(byPopularity[EXPERTS - 1 - r]).as("popularity rank " + r)
                    .isCloseTo(1.0 / (r + 1) / harmonic, within(0.015));
        }
    }

    private List<String> trace(String... options) throws IOException {
        Path file = Files.createTempFile(dir, "trace", ".jsonl");
        String[] args = new String[options.length + 3];
        args[0] = "trace";
        System.arraycopy(options, 0, args, 1, options.length);
        args[options.length + 1] = "--output";
        args[options.length + 2] = file.toString();
        Moe moe = Moe.run(args);
        assertThat(moe.exitCode()).as(moe.err()).isZero();
        return Files.readAllLines(file);
    }

    /** The fraction of tokens whose first choice (largest logit) is each expert. */
    private static double[] firstChoiceShares(List<String> lines) {
        double[] shares = new double[EXPERTS];
        int tokens = 0;
        for (String line : lines) {
            for (JsonNode row : Json.MAPPER.readTree(line).get("logits")) {
                int best = 0;
                for (int e = 1; e < EXPERTS; e++) {
                    if (row.get(e).doubleValue() > row.get(best).doubleValue()) {
                        best = e;
                    }
                }
                shares[best]++;
                tokens++;
            }
        }
        for (int e = 0; e < EXPERTS; e++) {
            shares[e] /= tokens;
        }
        return shares;
    }

    private static double busiestOverMean(double[] shares) {
        return Arrays.stream(shares).max().orElseThrow() * EXPERTS;
    }
}
