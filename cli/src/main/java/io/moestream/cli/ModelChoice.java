package io.moestream.cli;

import io.moestream.generate.Preset;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The checkpoint a command serves ({@code --model}), or the family of the one it generates ({@code --preset}). */
final class ModelChoice {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Checkpoint directory (config.json + safetensors). Default: a model of --preset, "
                    + "generated into a temporary directory (moe demo without --preset: the trained model).")
    Path model;

    @Option(names = "--preset", defaultValue = "mixtral-like", paramLabel = "P",
            converter = SpecNameConverter.PresetName.class,
            description = "Without --model: mixtral-like, olmoe-like, qwen-moe-like, qwen3-moe-like or deepseek-like.")
    Preset preset;
}
