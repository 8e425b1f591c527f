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

/** {@code moe generate-model}: writes a whole decoder model in a real family's layout, with realistically skewed routers. */
@Command(name = "generate-model",
        description = {
            "Writes a whole decoder model as Hugging Face would save it: config.json",
            "(every key of the family's transformers config), generation_config.json,",
            "tokenizer.json (byte-level BPE learned from the bundled prompt corpus, with",
            "the family's special tokens; BOS added for Mixtral and DeepSeek, as theirs",
            "do) and safetensors, sharded above 2 GiB. Every layer has its attention,",
            "RMSNorms and MoE block; Qwen-like models make their last layer a dense MLP",
            "(mlp_only_layers). Then it prints how unbalanced layer 0 routes the corpus.",
            "",
            "Vocabulary: 4096 tokens at tiny and small scale; the real vocab_size at",
            "full scale, rows beyond the tokenizer unused as in padded vocabularies.",
            "",
            "Skew model: embeddings share a mean direction m; each layer's gate rows",
            "are b_e * m/|m|^2 plus noise orthogonal to m, with b_e = -X * ln(1 + pi(e))",
            "for a popularity order pi seeded per layer, so a[t][e] = b_e + noise in",
            "every layer. Each preset's default X puts layer 0's busiest expert where",
            "papers measured (Mixtral 1.5-3x the mean load, OLMoE 4-7x). The blocks'",
            "output projections are scaled by 0.25/sqrt(2 * layers), so the residual",
            "stream, and the RMSNorm the routers read, stay dominated by the token's",
            "embedding and every layer stays skewed; lm_head has the usual",
            "1/sqrt(hidden) spread, so the logits are not flat.",
            "Full scale is BF16 and needs -Xmx6g (JAVA_TOOL_OPTIONS).",
            ""})
final class GenerateModelCommand implements Callable<Integer> {

    private static final int BAR_WIDTH = 40;

    @Spec
    CommandSpec spec;

    @Option(names = "--preset", required = true, paramLabel = "P", converter = SpecNameConverter.PresetName.class,
            description = "mixtral-like, olmoe-like, qwen-moe-like, qwen3-moe-like or deepseek-like.")
    Preset preset;

    @Option(names = "--scale", defaultValue = "tiny", paramLabel = "S", converter = SpecNameConverter.ScaleName.class,
            description = "full (real shapes, BF16), small (1/4 width) or tiny (1/32 width).")
    Scale scale;

    @Option(names = "--layers", paramLabel = "N",
            description = "Decoder layers. Default: 4 at tiny and small scale, enough for attention, several"
                    + " MoE layers and a Qwen-like dense layer; 2 at full scale, because a full layer is"
                    + " gigabytes (Mixtral's 2.8 GB in BF16) and two still give Qwen-like models their dense"
                    + " layer.")
    Integer layers;

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
        if (layers != null) {
            if (layers < 1) {
                throw new UserError("--layers must be at least 1, got " + layers);
            }
            model = model.withLayers(layers);
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
        console.printf("%n%s at %s scale, skew %.2f, seed %d: layer 0 of %d, bundled corpus, %,d tokens, dropless top-%d"
                + " of %d experts%n", preset.label(), scale.label(), model.skew(), seed, model.layers(), loads.tokens(),
                preset.topK(), preset.experts());
        console.print(loads.bars(BAR_WIDTH));
        console.printf("busiest expert / mean load: %.2f (the preset imitates %.1f-%.1f)%n", loads.busiestOverMean(),
                preset.targetLow(), preset.targetHigh());
        return 0;
    }
}
