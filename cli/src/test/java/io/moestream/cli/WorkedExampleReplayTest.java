package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Replays examples/worked-example.jsonl and checks every cell of the table in ROUTING-SPEC section
 * 4 against the JSON Lines that {@code moe replay --output} writes.
 */
class WorkedExampleReplayTest {

    private static final Path WORKED_EXAMPLE = Moe.EXAMPLES.resolve("worked-example.jsonl");

    /** The scores p of the spec, t0..t3 from rank 0 and t4..t7 from rank 1. */
    private static final double[][][] P = {
        {{.442, .126, .272, .159}, {.171, .155, .397, .278}, {.420, .088, .167, .325}, {.145, .437, .157, .262}},
        {{.237, .110, .227, .426}, {.290, .475, .062, .172}, {.773, .127, .055, .046}, {.415, .301, .088, .196}},
    };

    @TempDir
    Path dir;

    /**
     * The table, one cell per step: tokens separated by {@code |}, a token's kept slots (by expert
     * id) by {@code ,}, each {@code expert} alone for a primary slot or {@code expert kind weight};
     * {@code -} is no kept slot.
     */
    static Stream<Arguments> table() {
        return Stream.of(
                arguments("dropless", List.of(), "0 | 2 | 0 | 1", "3 | 1 | 0 | 0"),
                arguments("vanilla", List.of(), "0 | 2 | - | 1", "3 | 1 | 0 | -"),
                arguments("token-drop", List.of(), "0 | 2 | - | 1", "3 | 1 | 0 | -"),
                arguments("token-reroute", List.of("--rounds", "2"),
                        "0 | 2 | 3 rerouted .325 | 1", "3 | 1 | 0 | -"),
                arguments("token-reroute", List.of("--mode", "greedy"),
                        "0 | 2 | 3 rerouted .325 | 1", "3 | 1 | 0 | 2 rerouted .088"),
                arguments("expanded-drop", List.of(), "0 | 2 | - | 1", "2 expanded .227, 3 | 1 | 0 | -"),
                arguments("rectify-ir", List.of(), "0 | 2 | 1 rectified 1.0 | 1", "3 | 1 | 0 | 3 rectified 1.0"),
                // The note under the table: "false gives t2 -> 0".
                arguments("rectify-ir", List.of("--ir-exclude-dropping-expert", "false"),
                        "0 | 2 | 0 rectified 1.0 | 1", "3 | 1 | 0 | 3 rectified 1.0"),
                arguments("rectify-fr", List.of(), "0 | 2 | 3 filled 1.0 | 1", "3 | 1 | 0 | -"),
                arguments("rectify", List.of(), "0 | 2 | 1 rectified .213, 3 filled .787 | 1",
                        "3 | 1 | 0 | 3 rectified 1.0"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("table")
    void reproducesTheSpecTable(String policy, List<String> options, String rank0Step, String rank1Step)
            throws IOException {
        List<JsonNode> steps = replay(policy, options);

        assertThat(steps).hasSize(2);
        String[] cells = {rank0Step, rank1Step};
        for (int s = 0; s < 2; s++) {
            assertThat(steps.get(s).get("capacity").toString()).isEqualTo(policy.equals("dropless") ? "null" : "1");
            JsonNode tokens = steps.get(s).get("tokens");
            String[] expected = cells[s].split("\\|");
            assertThat(tokens.size()).isEqualTo(4);
            int dropped = 0;
            for (int t = 0; t < 4; t++) {
                assertToken(policy, s, t, tokens.get(t), expected[t].trim());
                dropped += tokens.get(t).get("dropped").size();
            }
            assertThat(steps.get(s).get("stats").get("dropped").intValue()).as("step %d: dropped count", s)
                    .isEqualTo(dropped);
        }
    }

    @Test
    void droplessLoadsMatchTheSpec() throws IOException {
        List<JsonNode> steps = replay("dropless", List.of());

        assertThat(ints(steps.get(0).get("stats").get("load"))).containsExactly(2, 1, 1, 0);
        assertThat(ints(steps.get(1).get("stats").get("load"))).containsExactly(2, 1, 0, 1);
    }

    private List<JsonNode> replay(String policy, List<String> options) throws IOException {
        Path plan = dir.resolve(policy + ".jsonl");
        List<String> args = new ArrayList<>(List.of("replay", "--input", WORKED_EXAMPLE.toString(),
                "--output", plan.toString(), "--top-k", "1", "--ranks", "2", "--capacity-factor", "1.0",
                "--policy", policy));
        args.addAll(options);
        Moe moe = Moe.run(args.toArray(String[]::new));
        assertThat(moe.exitCode()).as(moe.err()).isZero();
        List<JsonNode> steps = new ArrayList<>();
        for (String line : Files.readAllLines(plan)) {
            steps.add(Json.MAPPER.readTree(line));
        }
        return steps;
    }

    private static void assertToken(String policy, int step, int t, JsonNode token, String expected) {
        String where = policy + " t" + (4 * step + t);
        JsonNode kept = token.get("kept");
        List<String> slots = expected.equals("-") ? List.of() : List.of(expected.split(","));
        assertThat(kept.size()).as(where + " kept " + kept).isEqualTo(slots.size());
        boolean firstChoiceKept = false;
        int firstChoice = argmax(P[step][t]);
        for (int i = 0; i < slots.size(); i++) {
            String[] slot = slots.get(i).trim().split(" ");
            int expert = Integer.parseInt(slot[0]);
            String kind = slot.length == 1 ? "primary" : slot[1];
            // A bare expert is a primary slot: weight p under raw, 1 when it is a rectify token's only slot.
            double weight = slot.length == 1 ? (policy.startsWith("rectify") ? 1.0 : P[step][t][expert])
                    : Double.parseDouble(slot[2]);
            JsonNode actual = kept.get(i);
            assertThat(actual.get("expert").intValue()).as(where).isEqualTo(expert);
            assertThat(actual.get("kind").stringValue()).as(where).isEqualTo(kind);
            assertThat(actual.get("weight").doubleValue()).as(where).isCloseTo(weight, within(1e-3));
            firstChoiceKept |= expert == firstChoice;
        }
        // k = 1: the token's first choice is dropped exactly when that expert keeps it in no slot.
        assertThat(ints(token.get("dropped"))).as(where + " dropped")
                .isEqualTo(firstChoiceKept ? List.of() : List.of(firstChoice));
    }

    private static int argmax(double[] scores) {
        int best = 0;
        for (int e = 1; e < scores.length; e++) {
            if (scores[e] > scores[best]) {
                best = e;
            }
        }
        return best;
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> values = new ArrayList<>();
        array.forEach(value -> values.add(value.intValue()));
        return values;
    }
}
