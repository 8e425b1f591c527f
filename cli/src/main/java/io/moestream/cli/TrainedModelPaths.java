package io.moestream.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the model trained for issue #12 ({@code training/}) lives, and the corpus whose held-out
 * split it is measured on: the defaults of {@code moe quality} and {@code moe demo}. Both are paths
 * from the repository's root, found up from the working directory or, failing that, up from the
 * running code, so that the defaults work from any directory of a checkout (Maven runs tests in a
 * module's).
 */
final class TrainedModelPaths {

    /** The model directory, relative to the repository root. */
    static final Path DIR = Path.of("models", "olmoe-corpus");
    /** The corpus, relative to the repository root. */
    static final Path CORPUS = Path.of("..", "shared", "data", "corpus");
    /** The share of each corpus file held out from training, as {@code moe corpus-tokens} splits it by default. */
    static final double HELD_OUT_SHARE = 0.05;

    private TrainedModelPaths() {
    }

    static Path dir() {
        return root().map(r -> asWritten(r.resolve(DIR), r)).orElse(DIR);
    }

    /** The held-out split bundled with the model, for checkouts without the corpus. */
    static Path heldOut() {
        return dir().resolve(CorpusTokensCommand.HELD_OUT_DIR);
    }

    static Path corpus() {
        return root().map(r -> asWritten(r.resolve(CORPUS).normalize(), r)).orElse(CORPUS);
    }

    /** Relative to the working directory when that lies in the checkout, as a user there would write it. */
    private static Path asWritten(Path path, Path root) {
        Path here = Path.of("").toAbsolutePath();
        return here.startsWith(root) ? here.relativize(path) : path;
    }

    /** Whether the trained model is where {@link #dir()} says. */
    static boolean exists() {
        return Files.isRegularFile(dir().resolve("config.json"));
    }

    /** The nearest checkout's root (it holds cli/pom.xml), up from the working directory, then up from the code. */
    private static Optional<Path> root() {
        return Stream.of(Path.of("").toAbsolutePath(), codeLocation())
                .flatMap(start -> Stream.iterate(start, p -> p != null, Path::getParent))
                .filter(dir -> Files.isRegularFile(dir.resolve("cli").resolve("pom.xml")))
                .findFirst();
    }

    private static Path codeLocation() {
        try {
            return Path.of(TrainedModelPaths.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return Path.of("").toAbsolutePath();
        }
    }
}
