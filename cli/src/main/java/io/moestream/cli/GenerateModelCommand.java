package io.moestream.cli;

import io.moestream.generate.CorpusLoads;
import io.moestream.generate.LoadReport;
import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.text.Corpus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe generate-model}: writes a checkpoint in a real family's layout with a realistically skewed gate. */
@Command(name = "generate-model",
        description = {
            "Writes one MoE layer as a checkpoint in a real family's layout (config.json and",
            "safetensors, sharded above 2 GiB), with the cl100k_base embedding table so any",
            "prompt embeds, then prints how unbalanced it routes the bundled prompt corpus.",
            "",
            "Skew model: embeddings share a mean direction m; gate rows are",
            "b_e * m/|m|^2 plus noise orthogonal to m, with b_e = -X * ln(1 + pi(e)) for a",
            "seeded popularity order pi, so a[t][e] = b_e + noise. Each preset's default X",
            "puts the busiest expert where papers measured (Mixtral 1.5-3x the mean load,",
            "OLMoE 4-7x). Full scale is BF16 and needs -Xmx6g (JAVA_TOOL_OPTIONS).",
            ""})
final class GenerateModelCommand implements Callable<Integer> {

    private static final int BAR_WIDTH = 40;

    @Spec
    CommandSpec spec;

    @Option(names = "--preset", required = true, paramLabel = "P", converter = SpecNameConverter.PresetName.class,
            description = "mixtral-like, olmoe-like, qwen-moe-like or deepseek-like.")
    Preset preset;

    @Option(names = "--scale", defaultValue = "tiny", paramLabel = "S", converter = SpecNameConverter.ScaleName.class,
            description = "full (real shapes, BF16), small (1/4 width) or tiny (1/32 width).")
    Scale scale;

    @Option(names = "--skew", paramLabel = "X",
            description = "Zipf exponent of expert popularity; default: the preset's calibrated value.")
    Double skew;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Random seed.")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory to write; must not hold a checkpoint.")
    Path out;

    @Option(names = "--measure-only", description = "Only print the corpus loads; write nothing.")
    boolean measureOnly;

    @Override
    public Integer call() throws IOException {
        if (out == null && !measureOnly) {
            throw new UserError("--out DIR is required (or --measure-only)");
        }
        ModelSpec model = ModelSpec.of(preset, scale).withSeed(seed);
        if (skew != null) {
            model = model.withSkew(skew);
        }
        PrintWriter console = spec.commandLine().getOut();
        if (!measureOnly) {
            List<Path> files;
            try {
                files = ModelGenerator.generate(model, out);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            for (Path file : files) {
                console.printf("%,15d  %s%n", Files.size(file), file);
            }
        }
        LoadReport loads = CorpusLoads.measure(model, Corpus.bundled());
        console.printf("%n%s at %s scale, skew %.2f, seed %d: bundled corpus, %,d tokens, dropless top-%d of %d experts%n",
                preset.label(), scale.label(), model.skew(), seed, loads.tokens(), preset.topK(), preset.experts());
        console.print(loads.bars(BAR_WIDTH));
        console.printf("busiest expert / mean load: %.2f (the preset imitates %.1f-%.1f)%n", loads.busiestOverMean(),
                preset.targetLow(), preset.targetHigh());
        return 0;
    }
}
