package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The readable outputs of {@code moe replay}: the summary of one policy and the comparison table. */
class ReplayReportTest {

    private static final String TRACE = Moe.EXAMPLES.resolve("trace-mixtral-like.jsonl").toString();

    @TempDir
    Path dir;

    @Test
    void summaryShowsABarPerExpertAndTheDropRateOfTheSteps() throws IOException {
        Path plan = dir.resolve("plan.jsonl");
        Moe written = Moe.run("replay", "--input", TRACE, "--ranks", "4", "--capacity-factor", "1.0",
                "--output", plan.toString());
        assertThat(written.exitCode()).as(written.err()).isZero();
        long dropped = 0;
        long topKSlots = 0;
        for (String line : Files.readAllLines(plan)) {
            JsonNode stats = Json.MAPPER.readTree(line).get("stats");
            dropped += stats.get("dropped").longValue();
            topKSlots += stats.get("tokens").longValue() * stats.get("topK").longValue();
        }

        Moe summary = Moe.run("replay", "--input", TRACE, "--ranks", "4", "--capacity-factor", "1.0");

        assertThat(summary.exitCode()).as(summary.err()).isZero();
        assertThat(summary.out()).contains("policy token-drop", "capacity C = 64");
        for (int e = 0; e < 8; e++) {
            // expert, its rank, mean demand and load per step, then the bar with the capacity mark.
            assertThat(summary.out()).containsPattern("(?m)^ +" + e + " +" + e / 2 + " +[\\d.]+ +[\\d.]+  #+.*\\|");
        }
        assertThat(dropped).isPositive();
        assertThat(summary.out()).containsPattern("(?m)^drop rate +" + String.format(Locale.ROOT, "%.2f%%",
                100.0 * dropped / topKSlots).replace(".", "\\.") + " +" + String.format(Locale.ROOT, "%,d", dropped));
    }

    /** Spec 2.1: dropless has no capacity, whatever factor the command line carries for other policies. */
    @Test
    void droplessGivenACapacityFactorReportsNoCapacityAnywhere() throws IOException {
        String[] dropless = {"replay", "--input", TRACE, "--ranks", "4", "--policy", "dropless",
            "--capacity-factor", "1.0"};
        Path plan = dir.resolve("plan.jsonl");
        Moe written = Moe.run(concat(dropless, "--output", plan.toString()));
        Moe summary = Moe.run(dropless);
        Moe table = Moe.run("replay", "--input", TRACE, "--ranks", "4", "--compare", "dropless,token-drop",
                "--capacity-factors", "1.0");

        assertThat(written.exitCode()).as(written.err()).isZero();
        for (String line : Files.readAllLines(plan)) {
            JsonNode step = Json.MAPPER.readTree(line);
            assertThat(step.get("capacity").isNull()).as(line).isTrue();
            assertThat(step.get("stats").get("capacity").isNull()).as(line).isTrue();
            assertThat(step.get("stats").get("vacancy").isNull()).as(line).isTrue();
        }
        assertThat(summary.exitCode()).as(summary.err()).isZero();
        assertThat(summary.out()).contains("policy dropless", "capacity-factor none", "(no capacity)")
                .doesNotContain("capacity-factor 1.0", "capacity C")
                .containsPattern("(?m)^vacancy +- ");
        assertThat(table.exitCode()).as(table.err()).isZero();
        assertThat(table.out()).containsPattern("(?m)^dropless +- +0\\.00% .* - +100\\.00%  -$")
                .containsPattern("(?m)^token-drop +1\\.0 ");
    }

    private static String[] concat(String[] args, String... more) {
        return Stream.concat(Arrays.stream(args), Arrays.stream(more)).toArray(String[]::new);
    }

    @Test
    void compareHasOneRowPerPolicyAndFactorWithDroplessOnce() {
        Moe moe = Moe.run("replay", "--input", TRACE, "--ranks", "4",
                "--compare", "token-drop,dropless,rectify", "--capacity-factors", "1.0,2.0");

        assertThat(moe.exitCode()).as(moe.err()).isZero();
        List<String> rows = moe.out().lines()
                .filter(line -> line.matches("(token-drop|dropless|rectify) .*"))
                .map(line -> String.join(" ", List.of(line.split(" +")).subList(0, 2)))
                .toList();
        assertThat(rows).containsExactly("token-drop 1.0", "token-drop 2.0", "dropless -", "rectify 1.0",
                "rectify 2.0");
    }

    @Test
    void compareAgreesWithTheSummaryOfTheSameConfiguration() {
        Moe summary = Moe.run("replay", "--input", TRACE, "--ranks", "4", "--capacity-factor", "1.5");
        Moe table = Moe.run("replay", "--input", TRACE, "--ranks", "4", "--compare", "token-drop",
                "--capacity-factors", "1.5");

        String dropRate = summary.out().lines().filter(line -> line.startsWith("drop rate"))
                .map(line -> line.split(" +")[2]).findFirst().orElseThrow();
        assertThat(table.out()).containsPattern("(?m)^token-drop +1\\.5 +" + dropRate.replace(".", "\\.") + " ");
    }
}
