package io.moestream.gateway;

import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One tiny generated Mixtral-like model for every test of the JVM, with its own tokenizer of 4,096
 * tokens so that text prompts embed (about 27 MB), deleted when the JVM exits.
 */
final class TestModel {

    static final Path DIR = generate();

    private TestModel() {
    }

    private static Path generate() {
        Path dir = tempDir("gateway-model");
        ModelGenerator.generate(ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY), dir);
        return dir;
    }

    /** A directory deleted with its contents when the JVM exits. */
    static Path tempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp directory left behind is harmless
        }
    }
}
