package io.moestream.cli;

import io.moestream.decoder.DecoderEngine;
import io.moestream.routing.Placement;
import io.moestream.text.ModelTokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe quality}: what each policy costs a whole model on its held-out text, against the time it saves. */
@Command(name = "quality", defaultValueProvider = QualityCommand.Defaults.class,
        description = {
            "Scores a model's held-out text under each policy (a row) at each capacity factor (a column),"
                + " every configuration over the same steps, beside dropless: per cell the held-out perplexity,"
                + " KL(dropless || policy) per token, top-1 agreement with dropless, the drop rate over every MoE"
                + " layer, and the modelled speed-up over dropless (as moe bench models it: each MoE layer's step"
                + " lasts as long as its busiest rank's rows). A cell is what 'moe score --compare dropless' gives"
                + " for the same policy, options and steps (sequences.jsonl holds the sequences, in order).",
            "Held-out text: each domain's held-out split of --corpus (as 'moe corpus-tokens' splits it; without"
                + " --corpus and the trained model's corpus, the split bundled with the trained model),"
                + " encoded by the model's tokenizer, joined with EOS after each file, cut into windows of"
                + " --sequence-length tokens, --sequences-per-domain of them spread over the domain, the domains"
                + " dealt round-robin so that each step of --step-tokens mixes them as a served batch would.",
            "Writes report.txt (markdown tables), report.json, report.png (perplexity against speed-up) and"
                + " sequences.jsonl to --out.",
            ""})
final class QualityCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** The trained model unless --model is given. */
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--corpus", paramLabel = "DIR",
            description = "The model's training corpus, one directory per domain. Default: the trained model's,"
                    + " or the held-out split bundled with it where the checkout has no corpus beside it.")
    Path corpus;

    @Option(names = "--held-out", paramLabel = "SHARE",
            description = "The share of each corpus file, from its end, held out from training.")
    double heldOutShare;

    @Option(names = "--sequence-length", defaultValue = "256", paramLabel = "N", description = "Tokens per sequence.")
    int sequenceLength;

    @Option(names = "--sequences-per-domain", defaultValue = "8", paramLabel = "N",
            description = "Sequences scored per domain.")
    int sequencesPerDomain;

    @Option(names = "--step-tokens", defaultValue = "1024", paramLabel = "N",
            description = "Pack consecutive sequences into routing steps of up to N tokens (capacity is per step).")
    int stepTokens;

    @Option(names = "--capacity-factors", split = ",", defaultValue = "1.0,1.25,1.5,2.0", paramLabel = "GAMMA",
            description = "The columns.")
    List<Double> capacityFactors;

    @Option(names = "--ranks", defaultValue = "4", paramLabel = "R",
            description = "Ranks hosting the experts in contiguous blocks (the speed-up's busiest rank).")
    int ranks;

    @Option(names = "--rows", split = ",", paramLabel = "ROW",
            description = "The rows, each POLICY[:OPTION=VALUE]... with the routing options' names, e.g."
                    + " token-drop:metric=order; dropless with the model's own options is the reference and runs"
                    + " first in any case. Default: the papers' policies and variants.")
    List<String> rows;

    @Option(names = "--out", defaultValue = "quality-report", paramLabel = "DIR",
            description = "Where report.txt, report.json, report.png and sequences.jsonl go.")
    Path out;

    /**
     * The trained model's directory is the default of --model, found wherever the command runs in a
     * checkout, and its training's held-out share that of --held-out. One OpenBLAS thread: this
     * model's matrices are small, and with two threads a token took 3-4 times the CPU time on a
     * 2-core machine shared with other work (measured).
     */
    static final class Defaults implements IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec option)) {
                return null;
            }
            return switch (option.longestName()) {
                case "--model" -> TrainedModelPaths.dir().toString();
                case "--held-out" -> Double.toString(TrainedModelPaths.HELD_OUT_SHARE);
                case "--threads" -> "1";
                default -> null;
            };
        }
    }

    @Override
    public Integer call() {
        List<QualityRow> parsed = parseRows();
        List<Double> factors = checkedFactors();
        if (ranks < 1) {
            throw new UserError("--ranks must be >= 1, got " + ranks);
        }
        if (stepTokens < 0) {
            throw new UserError("--step-tokens must be >= 0, got " + stepTokens);
        }
        PrintWriter progress = spec.commandLine().getErr();
        HeldOutText text = HeldOutText.of(corpus, heldOutShare);
        ModelTokenizer tokenizer = modelOptions.tokenizer().orElseThrow(() -> new UserError(modelOptions.model
                + " has no " + ModelTokenizer.FILE + ": moe quality encodes the held-out text with the model's tokenizer"));
        try (tokenizer; DecoderEngine engine = modelOptions.load()) {
            int eos = engine.config().eosTokenIds().stream().findFirst().orElse(-1);
            HeldOutSequences heldOut = HeldOutSequences.of(text.split(), tokenizer, eos, sequenceLength,
                    sequencesPerDomain);
            List<HeldOutSequences.Scored> sequences = heldOut.interleaved();
            Placement placement;
            try {
                placement = Placement.contiguous(engine.config().moe().numExperts(), ranks);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            progress.printf("moe quality: %d sequences, %d rows at %d capacity factors and dropless...%n",
                    sequences.size(), parsed.size(), factors.size());
            progress.flush();
            long begin = System.nanoTime();
            QualityRun.Table table = QualityRun.run(engine, parsed, factors, placement, sequences, stepTokens,
                    modelOptions.sourceRank, progress);
            QualityReport report = new QualityReport(new QualityReport.Setup(modelOptions.model.toString(),
                    engine.config(), text.source(), heldOutShare, sequenceLength, stepTokens, placement.ranks(),
                    engine.backend(), (System.nanoTime() - begin) / 1e9), heldOut, factors, table);
            StringWriter markdown = new StringWriter();
            report.printMarkdown(new PrintWriter(markdown));
            ReportFiles.write(spec.commandLine().getOut(), out, markdown.toString(), report.json(), Map.of(
                    "report.png", file -> QualityChart.write(file, report),
                    "sequences.jsonl", file -> writeSequences(file, sequences)));
        }
        return 0;
    }

    private List<QualityRow> parseRows() {
        List<QualityRow> parsed = new ArrayList<>();
        for (String row : rows == null ? QualityRow.DEFAULT_ROWS : rows) {
            QualityRow r = QualityRow.parse(row);
            if (parsed.stream().anyMatch(p -> p.options().equals(r.options()))) {
                throw new UserError("--rows: '" + row + "' is given twice");
            }
            if (!r.isReference()) {
                parsed.add(r);
            }
        }
        if (parsed.isEmpty()) {
            throw new UserError("--rows needs a policy besides dropless to compare with it");
        }
        return parsed;
    }

    private List<Double> checkedFactors() {
        if (capacityFactors.stream().anyMatch(f -> !(f > 0) || Double.isInfinite(f))) {
            throw new UserError("--capacity-factors must be positive numbers, got " + capacityFactors);
        }
        if (capacityFactors.stream().distinct().count() != capacityFactors.size()) {
            throw new UserError("--capacity-factors has a factor twice: " + capacityFactors);
        }
        return capacityFactors;
    }

    /** The scored sequences in order, as 'moe score --tokens-file' reads them. */
    private static void writeSequences(Path file, List<HeldOutSequences.Scored> sequences) throws IOException {
        try (BufferedWriter writer = Files.newBufferedWriter(file)) {
            for (HeldOutSequences.Scored sequence : sequences) {
                writer.write(Arrays.stream(sequence.tokens()).mapToObj(Integer::toString)
                        .collect(Collectors.joining(",", "{\"tokens\": [", "]}\n")));
            }
        }
    }
}
