package io.moestream.cli;

import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.decoder.Scorer;
import io.moestream.decoder.SequenceScore;
import io.moestream.decoder.StepOutput;
import io.moestream.model.DType;
import io.moestream.model.SafetensorsWriter;
import io.moestream.model.Tensor;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.ModelTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code moe score}: log-likelihoods of sequences under a whole model and a routing policy in every MoE layer. */
@Command(name = "score", defaultValueProvider = RoutingDefaults.class,
        description = {
            "Scores sequences with a whole model: log P(token | tokens before it) at every position,",
            "perplexity, and per MoE layer the routing's drop rate, straggler and balancedness.",
            "Routing options not given take the model's values (its top-k; weights topk when it",
            "renormalises, else raw); without --capacity-factor nothing is dropped.",
            ""})
final class ScoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @ArgGroup(exclusive = true, multiplicity = "1")
    SequenceInput input;

    @Option(names = "--output", paramLabel = "FILE",
            description = "JSON Lines, per sequence: {\"tokens\", \"logprobs\": [null, ...], \"nll\", \"perplexity\"}.")
    String output;

    @Option(names = "--logits", paramLabel = "FILE", description = "Write the first sequence's F32 tensor 'logits' [T, vocab].")
    Path logits;

    @Option(names = "--step-tokens", defaultValue = "0", paramLabel = "N",
            description = "Pack consecutive sequences into routing steps of up to N tokens; 0: one sequence a step.")
    int stepTokens;

    @Mixin
    CompareOption compare;

    @Mixin
    RoutingOptions routing;

    @Override
    public Integer call() throws IOException {
        boolean compareDropless = compare.dropless();
        if (stepTokens < 0) {
            throw new UserError("--step-tokens must be >= 0, got " + stepTokens);
        }
        PrintWriter out = spec.commandLine().getOut();
        Optional<ModelTokenizer> tokenizer = modelOptions.tokenizer();
        try (DecoderEngine engine = modelOptions.load()) {
            List<int[]> sequences = input.sequences(modelOptions, tokenizer);
            RoutingConfig config = routing.over(engine.defaultRouting(), spec);
            Placement placement = routing.placement(engine.config().moe().numExperts());
            DecoderModel model = engine.model(config, placement);
            DecoderModel reference = !compareDropless ? null
                    : engine.model(config.toBuilder().policy(Policy.DROPLESS).build(), placement);
            LayerTable layers = new LayerTable(engine.config().moe().numExperts());
            FirstLogits first = new FirstLogits();
            List<SequenceScore> scores;
            try {
                scores = new Scorer(model, reference, stepTokens, modelOptions.sourceRank)
                        .score(sequences, layers, first);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            ModelHeader.print(out, modelOptions.model, engine, placement, config);
            out.printf(Locale.ROOT, "scored   %,d sequences, %,d tokens, %s%n", scores.size(),
                    scores.stream().mapToInt(s -> s.tokens().length).sum(),
                    stepTokens == 0 ? "one sequence a step" : "steps of up to " + stepTokens + " tokens");
            out.println();
            printPerplexity(out, scores);
            out.println();
            layers.print(out);
            if (output != null) {
                writeScores(scores);
            }
            if (logits != null) {
                SafetensorsWriter.write(logits, java.util.Map.of("logits", first.tensor()), DType.F32);
                out.printf("%nwrote    %s: logits %s F32%n", logits, Arrays.toString(first.tensor().shape()));
            }
        }
        out.flush();
        return 0;
    }

    private void printPerplexity(PrintWriter out, List<SequenceScore> scores) {
        ScoreTotals totals = ScoreTotals.of(scores);
        if (totals.predicted() == 0) {
            out.println("perplexity  n/a: every sequence has one token, so nothing is predicted");
            return;
        }
        double perplexity = totals.perplexity();
        out.printf(Locale.ROOT, "perplexity  %.4f   (nll %.4f over %,d predicted tokens)%n", perplexity, totals.nll(),
                totals.predicted());
        if (compare.dropless()) {
            double dropless = totals.droplessPerplexity();
            out.printf(Locale.ROOT, "dropless    %.4f   (policy %+.2f%%)%n", dropless, 100 * (perplexity / dropless - 1));
            out.printf(Locale.ROOT, "KL(dropless || policy)  %.6f nats per predicted token%n", totals.kl());
            out.printf(Locale.ROOT, "top-1 agreement         %s (%,d of %,d positions)%n",
                    Reports.percent(totals.top1Agreement()), totals.top1Agreements(), totals.predicted());
        }
    }

    private void writeScores(List<SequenceScore> scores) throws IOException {
        try (Writer writer = Outputs.open(output, spec)) {
            for (SequenceScore score : scores) {
                ObjectNode line = Json.MAPPER.createObjectNode();
                ArrayNode tokens = line.putArray("tokens");
                Arrays.stream(score.tokens()).forEach(tokens::add);
                ArrayNode logprobs = line.putArray("logprobs");
                logprobs.addNull();
                for (int i = 1; i < score.logprobs().length; i++) {
                    logprobs.add(score.logprobs()[i]);
                }
                if (score.predicted() == 0) {
                    line.putNull("nll");
                    line.putNull("perplexity");
                } else {
                    line.put("nll", score.nll());
                    line.put("perplexity", score.perplexity());
                }
                writer.write(Json.MAPPER.writeValueAsString(line));
                writer.write('\n');
            }
        }
    }

    /** Keeps the logits of the call's first sequence, from the step that holds it. */
    private static final class FirstLogits implements Scorer.StepLogitsListener {
        private Tensor tensor;

        @Override
        public void accept(int first, List<int[]> sequences, StepOutput output) {
            if (first == 0) {
                int rows = sequences.get(0).length;
                tensor = Tensor.of(Arrays.copyOf(output.logits(), rows * output.vocab()), rows, output.vocab());
            }
        }

        Tensor tensor() {
            return tensor;
        }
    }
}
