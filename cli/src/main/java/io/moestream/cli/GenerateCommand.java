package io.moestream.cli;

import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.decoder.Generation;
import io.moestream.decoder.Generator;
import io.moestream.decoder.Sampling;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.ModelTokenizer;
import io.moestream.text.TextStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.ArrayList;
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

/** {@code moe generate}: text from a whole model, prefill then batched decode with a KV cache, under a routing policy. */
@Command(name = "generate", defaultValueProvider = RoutingDefaults.class,
        description = {
            "Generates text with a whole model: one prefill step for the prompts, then one decode step",
            "per token for every sequence still running, routed under the policy in every MoE layer.",
            "Stops at the model's EOS or --max-new-tokens. Greedy unless --temperature > 0; --seed",
            "seeds sampling as well as --metric random. One prompt streams its text as it is made;",
            "with several, each is printed when done. Figures go to stderr.",
            ""})
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompts prompts;

    static final class Prompts {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "A prompt, through the model's tokenizer.")
        String prompt;

        @Option(names = "--tokens-file", paramLabel = "FILE",
                description = "JSON Lines, one {\"tokens\": [ids]} prompt per line; skips the tokenizer.")
        java.nio.file.Path tokensFile;
    }

    @Option(names = "--max-new-tokens", required = true, paramLabel = "N", description = "Most tokens to generate per prompt.")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "0: greedy.")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P", description = "Nucleus sampling: keep the most likely tokens up to mass P.")
    double topP;

    @Option(names = "--output", paramLabel = "FILE",
            description = "JSON Lines, per prompt: {\"prompt_tokens\", \"tokens\", \"text\", \"finish_reason\"}.")
    String output;

    @Mixin
    RoutingOptions routing;

    @Override
    public Integer call() throws IOException {
        if (maxNewTokens < 1) {
            throw new UserError("--max-new-tokens must be >= 1, got " + maxNewTokens);
        }
        Sampling sampling;
        try {
            sampling = new Sampling(temperature, topP, routing.seed);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<ModelTokenizer> tokenizer = modelOptions.tokenizer();
        List<int[]> inputs = prompts.tokensFile != null ? TokensFile.read(prompts.tokensFile)
                : List.of(tokenizer.orElseThrow(() -> modelOptions.noTokenizer("--prompt")).encode(prompts.prompt));
        try (DecoderEngine engine = modelOptions.load()) {
            RoutingConfig config = routing.over(engine.defaultRouting(), spec);
            Placement placement = routing.placement(engine.config().moe().numExperts());
            DecoderModel model = engine.model(config, placement);
            ModelHeader.print(err, modelOptions.model, engine, placement, config);
            err.flush();
            LayerTable layers = new LayerTable(engine.config().moe().numExperts());
            Generator generator = new Generator(model, sampling, maxNewTokens, engine.config().eosTokenIds(),
                    modelOptions.sourceRank);
            Streamer streamer = new Streamer(out, tokenizer.orElse(null), inputs.size() == 1);
            Generator.Run run;
            try {
                run = generator.generate(inputs, streamer, layers);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            streamer.finish(run.generations());
            printFigures(err, run, layers);
            if (output != null) {
                write(run.generations(), tokenizer.orElse(null));
            }
        }
        out.flush();
        return 0;
    }

    private static void printFigures(PrintWriter err, Generator.Run run, LayerTable layers) {
        err.println();
        err.printf(Locale.ROOT, "prefill  %,d tokens in %.1f ms (%,.0f tokens/s)%n", run.prefillTokens(),
                run.prefillNanos() / 1e6, run.prefillTokens() / (run.prefillNanos() / 1e9));
        if (run.decodeSteps() > 0) {
            err.printf(Locale.ROOT, "decode   %,d tokens in %,d steps, %.1f ms (%,.1f tokens/s, %.2f ms a step)%n",
                    run.decodeTokens(), run.decodeSteps(), run.decodeNanos() / 1e6,
                    run.decodeTokens() / (run.decodeNanos() / 1e9), run.decodeNanos() / 1e6 / run.decodeSteps());
        }
        err.println();
        layers.print(err);
        err.flush();
    }

    private void write(List<Generation> generations, ModelTokenizer tokenizer) throws IOException {
        try (Writer writer = Outputs.open(output, spec)) {
            for (Generation generation : generations) {
                ObjectNode line = Json.MAPPER.createObjectNode();
                ArrayNode prompt = line.putArray("prompt_tokens");
                Arrays.stream(generation.promptTokens()).forEach(prompt::add);
                ArrayNode tokens = line.putArray("tokens");
                Arrays.stream(generation.tokens()).forEach(tokens::add);
                if (tokenizer == null) {
                    line.putNull("text");
                } else {
                    line.put("text", tokenizer.decode(generation.tokens()));
                }
                line.put("finish_reason", generation.finishReason().apiName());
                writer.write(Json.MAPPER.writeValueAsString(line));
                writer.write('\n');
            }
        }
    }

    /**
     * Prints generated text: as it is made for a single prompt, else each prompt's whole text when
     * generation ends. A model without a tokenizer prints token ids.
     */
    private static final class Streamer implements Generator.TokenListener {
        private final PrintWriter out;
        private final ModelTokenizer tokenizer;
        private final TextStream stream;

        Streamer(PrintWriter out, ModelTokenizer tokenizer, boolean live) {
            this.out = out;
            this.tokenizer = tokenizer;
            this.stream = live && tokenizer != null ? new TextStream(tokenizer::decode) : null;
        }

        @Override
        public void token(int sequence, int token) {
            if (stream != null) {
                out.print(stream.push(token));
                out.flush();
            }
        }

        void finish(List<Generation> generations) {
            if (stream != null) {
                out.println(stream.finish());
                return;
            }
            for (int i = 0; i < generations.size(); i++) {
                int[] tokens = generations.get(i).tokens();
                String text = tokenizer == null ? Arrays.toString(tokens) : tokenizer.decode(tokens);
                out.printf("[%d] %s%n", i, text);
            }
        }
    }
}
