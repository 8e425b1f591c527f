package io.moestream.local;

import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.model.ModelConfig;
import io.moestream.model.SharedExpertKind;
import io.moestream.pipeline.TopicLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The checkpoint a local stack serves: a directory the user gave, or a model of a preset generated
 * into a temporary directory that {@link #close()} removes.
 */
public final class LocalModel implements AutoCloseable {

    private final Path dir;
    private final boolean generated;
    private final ModelConfig config;

    private LocalModel(Path dir, boolean generated) {
        this.dir = dir;
        this.generated = generated;
        this.config = ModelConfig.read(dir).orElseThrow(() -> new IllegalArgumentException(dir
                + " has no " + ModelConfig.FILE + ": expected a checkpoint directory (config.json + safetensors)"));
    }

    public static LocalModel given(Path dir) {
        return new LocalModel(dir, false);
    }

    /** A {@link Scale#TINY} model of {@code preset}, which starts and computes in moments on a laptop. */
    static LocalModel generate(Preset preset) {
        return generate(preset, Scale.TINY);
    }

    public static LocalModel generate(Preset preset, Scale scale) {
        try {
            Path dir = Files.createTempDirectory("moe-local-model-");
            ModelGenerator.generate(ModelSpec.of(preset, scale), dir);
            return new LocalModel(dir, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the generated model: " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * The topics this model needs over {@code ranks}: a layer's shared experts are loaded as one
     * expert (DeepSeek-V2 stores its two fused), so there is one shared-expert topic when it has any.
     */
    TopicLayout layout(int ranks) {
        int shared = config.sharedExpert() == SharedExpertKind.NONE ? 0 : 1;
        return new TopicLayout(ranks, config.numExperts(), shared, 1);
    }

    String describe() {
        String what = config.modelType() + ", " + config.numExperts() + " experts, top-" + config.topK() + ", d="
                + config.hiddenSize();
        return (generated ? "generated " : "") + what + " in " + dir;
    }

    @Override
    public void close() {
        if (!generated) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the generated model in " + dir + ": " + e.getMessage(), e);
        }
    }
}
