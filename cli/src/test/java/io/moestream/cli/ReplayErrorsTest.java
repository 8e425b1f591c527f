package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** User errors: one line on stderr naming the file and line, exit code 2, no stack trace. */
class ReplayErrorsTest {

    private static final String GOOD_STEP = "{\"sourceRank\": 0, \"logits\": [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]]}";

    @TempDir
    Path dir;

    @Test
    void aRowOfTheWrongLengthNamesTheLine() throws IOException {
        Path trace = write(GOOD_STEP, "", "{\"sourceRank\": 0, \"logits\": [[0.1, 0.2, 0.3], [0.3, 0.2]]}");

        Moe moe = Moe.run("replay", "--input", trace.toString());

        assertUserError(moe, trace + " line 3: ");
        assertThat(moe.err()).contains("token 1");
    }

    @Test
    void aNanLogitNamesTheLineTokenAndExpert() throws IOException {
        Path trace = write(GOOD_STEP, "{\"sourceRank\": 0, \"logits\": [[0.1, NaN, 0.3]]}");

        Moe moe = Moe.run("replay", "--input", trace.toString());

        assertUserError(moe, trace + " line 2: ");
        assertThat(moe.err()).contains("token 0").contains("expert 1");
    }

    @Test
    void aLogitThatIsNotANumberIsRejected() throws IOException {
        Path trace = write("{\"sourceRank\": 0, \"logits\": [[0.1, \"high\", 0.3]]}");

        Moe moe = Moe.run("replay", "--input", trace.toString());

        assertUserError(moe, trace + " line 1: ");
        assertThat(moe.err()).contains("expert 1").contains("not a number");
    }

    @Test
    void malformedJsonAndMissingLogitsNameTheLine() throws IOException {
        Path broken = write(GOOD_STEP, "{\"sourceRank\": 0, \"logits\": [[0.1");
        Path noLogits = write("{\"sourceRank\": 0}");

        assertUserError(Moe.run("replay", "--input", broken.toString()), broken + " line 2: malformed JSON");
        assertUserError(Moe.run("replay", "--input", noLogits.toString()), noLogits + " line 1: \"logits\"");
    }

    @Test
    void anUnknownPolicyListsTheValidOnes() throws IOException {
        Moe moe = Moe.run("replay", "--input", write(GOOD_STEP).toString(), "--policy", "fastest");

        assertUserError(moe, "'fastest'");
        assertThat(moe.err()).contains("dropless, vanilla, token-drop, token-reroute, expanded-drop, rectify, "
                + "rectify-ir, rectify-fr");
    }

    @Test
    void ranksThatDisagreeWithThePlacementFail() throws IOException {
        Path placement = dir.resolve("placement.json");
        Files.writeString(placement, "[0, 0, 1]");

        Moe moe = Moe.run("replay", "--input", write(GOOD_STEP).toString(), "--placement", placement.toString(),
                "--ranks", "3");

        assertUserError(moe, "--ranks 3 disagrees with " + placement + ", which uses 2 ranks");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("missing.jsonl");

        assertUserError(Moe.run("replay", "--input", missing.toString()), missing + ": no such file");
    }

    private static void assertUserError(Moe moe, String message) {
        assertThat(moe.exitCode()).isEqualTo(2);
        assertThat(moe.err()).startsWith("moe replay: ").contains(message).doesNotContain("Exception", "\tat ");
        assertThat(moe.err().lines()).hasSize(1);
        assertThat(moe.out()).isEmpty();
    }

    private Path write(String... lines) throws IOException {
        return Files.write(Files.createTempFile(dir, "trace", ".jsonl"), List.of(lines));
    }
}
