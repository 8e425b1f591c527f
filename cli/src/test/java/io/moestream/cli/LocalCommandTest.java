package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code moe local} checks before it starts anything; the stack itself is tested end to end
 * in the local module.
 */
class LocalCommandTest {

    @TempDir
    Path dir;

    @Test
    void helpListsTheLocalAndTheRoutingOptions() {
        Moe moe = Moe.run("local", "--help");

        assertThat(moe.exitCode()).isZero();
        assertThat(moe.out()).contains("--model", "--preset", "--port", "--gateway-port", "--router-port",
                "--expert-port", "--ranks", "--policy", "--capacity-factor");
    }

    @Test
    void aModelDirectoryWithoutConfigIsAUserError() {
        Moe moe = Moe.run("local", "--model", dir.toString());

        assertThat(moe.exitCode()).isEqualTo(ErrorReporter.USER_ERROR);
        assertThat(moe.err()).contains(dir + ": no config.json").doesNotContain("Exception");
    }

    @Test
    void aPlacementThatDisagreesWithTheModelIsAUserError() throws Exception {
        Path placement = Files.writeString(dir.resolve("placement.json"), "[0, 0, 1]");

        Moe moe = Moe.run("local", "--placement", placement.toString());

        assertThat(moe.exitCode()).isEqualTo(ErrorReporter.USER_ERROR);
        assertThat(moe.err()).contains("places 3 experts");
    }
}
