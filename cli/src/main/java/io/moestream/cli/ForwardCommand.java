package io.moestream.cli;

import io.moestream.expert.ExpertKernel;
import io.moestream.kernels.ExpertKernels;
import io.moestream.kernels.KernelBackend;
import io.moestream.kernels.SelectedKernel;
import io.moestream.layer.LayerOutput;
import io.moestream.layer.MoeLayer;
import io.moestream.layer.MoeLayers;
import io.moestream.model.Checkpoint;
import io.moestream.model.CheckpointException;
import io.moestream.model.DType;
import io.moestream.model.ModelConfig;
import io.moestream.model.MoeLayerLoader;
import io.moestream.model.MoeLayerWeights;
import io.moestream.model.NamingFamily;
import io.moestream.model.SafetensorsFile;
import io.moestream.model.SafetensorsWriter;
import io.moestream.model.Tensor;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.Corpus;
import io.moestream.text.PromptEncoder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe forward}: one MoE layer in process, from hidden states or prompts to outputs and routing statistics. */
@Command(name = "forward", defaultValueProvider = RoutingDefaults.class,
        description = {
            "Runs one MoE layer of a checkpoint in process: gate, routing policy, expert FFNs, combine,",
            "shared experts. Input: an F32 tensor 'hidden' [T, d] in a safetensors file, or prompts",
            "(tokenized with the model's tokenizer.json, else cl100k_base, and embedded with",
            "model.embed_tokens.weight), routed as one step.",
            "Routing options not given take the model's values (its top-k; weights topk when its",
            "config sets norm_topk_prob, else raw); without --capacity-factor nothing is dropped.",
            ""})
final class ForwardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--layer", defaultValue = "0", paramLabel = "L", description = "MoE layer index.")
    int layer;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--input", paramLabel = "FILE", description = "safetensors file with an F32 tensor 'hidden' [T, d].")
        Path hidden;

        @Option(names = "--prompt", paramLabel = "TEXT", description = "A prompt to tokenize and embed.")
        String prompt;

        @Option(names = "--prompts", paramLabel = "FILE",
                description = "Prompts, JSON Lines {\"prompt\": ...} or one per line; 'bundled' for the bundled corpus.")
        String prompts;
    }

    @Option(names = "--output", paramLabel = "FILE", description = "Write the F32 tensor 'output' [T, d] here.")
    Path output;

    @Mixin
    CompareOption compare;

    @Mixin
    RoutingOptions routing;

    @Override
    public Integer call() throws IOException {
        boolean compareDropless = compare.dropless();
        KernelBackend kernelBackend = modelOptions.kernelBackend();
        Path model = modelOptions.model;
        int sourceRank = modelOptions.sourceRank;
        int threads = modelOptions.threads;
        PrintWriter out = spec.commandLine().getOut();
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            ModelConfig config = ModelConfig.read(model).orElseThrow(() -> new UserError(model
                    + " has no config.json; forward needs one for the layer's shape and routing settings"));
            MoeLayerWeights weights = MoeLayerLoader.load(checkpoint, config, layer);
            float[] x = hiddenStates(checkpoint, weights.hidden());
            int tokens = x.length / weights.hidden();
            RoutingConfig routingConfig = routing.over(MoeLayers.defaultRouting(weights), spec);
            Placement placement = routing.placement(weights.numExperts());
            SelectedKernel experts = ExpertKernels.create(kernelBackend, weights.experts(), threads);
            SelectedKernel shared = ExpertKernels.create(kernelBackend, weights.sharedExpertsById(), threads);
            try (ExpertKernel routedKernel = experts.kernel(); ExpertKernel sharedKernel = shared.kernel()) {
                out.printf("model    %s, layer %d: %d experts (top-%d), hidden %d; %d tokens from rank %d%n", model,
                        layer, weights.numExperts(), weights.topK(), weights.hidden(), tokens, sourceRank);
                out.printf("backend  %s%s%n", experts.kernel().description(),
                        experts.status().fellBack() ? " (fell back: " + experts.status().reason() + ")" : "");
                MoeLayer moeLayer = MoeLayers.build(weights, routingConfig, placement, routedKernel, sharedKernel);
                LayerOutput result = parse(() -> moeLayer.forward(x, tokens, sourceRank));
                ReplayTotals totals = new ReplayTotals(weights.numExperts());
                totals.accept(result.routing());
                SummaryReport.print(out, tokens + " tokens", placement, routingConfig, totals);
                if (compareDropless) {
                    RoutingConfig dropless = routingConfig.toBuilder().policy(Policy.DROPLESS).build();
                    float[] reference = MoeLayers.build(weights, dropless, placement, routedKernel, sharedKernel)
                            .forward(x, tokens, sourceRank).output();
                    Fidelity.of(result.output(), reference, result.routing().stats().gateMassKept()).print(out);
                }
                if (output != null) {
                    SafetensorsWriter.write(output, Map.of("output", Tensor.of(result.output(), tokens,
                            weights.hidden())), DType.F32);
                    out.printf("%nwrote    %s: output [%d, %d] F32%n", output, tokens, weights.hidden());
                }
            }
        } catch (CheckpointException e) {
            throw new UserError(e.getMessage());
        }
        out.flush();
        return 0;
    }

    private float[] hiddenStates(Checkpoint checkpoint, int hidden) throws IOException {
        if (input.hidden != null) {
            try (SafetensorsFile file = SafetensorsFile.open(input.hidden)) {
                Tensor states = file.tensor("hidden");
                if (states.shape().length != 2 || states.shape()[1] != hidden) {
                    throw new UserError(input.hidden + ": tensor 'hidden' has shape "
                            + Arrays.toString(states.shape()) + ", expected [T, " + hidden + "]");
                }
                return states.data();
            }
        }
        List<String> texts = input.prompt != null ? List.of(input.prompt)
                : input.prompts.equals("bundled") ? Corpus.bundled().texts() : Corpus.load(Path.of(input.prompts)).texts();
        List<float[]> encoded = new ArrayList<>();
        int total = 0;
        try (PromptEncoder encoder = PromptEncoder.forModel(modelOptions.model, checkpoint.tensor(NamingFamily.EMBED_TOKENS),
                PromptEncoder.DEFAULT_MAX_TOKENS)) {
            for (String text : texts) {
                float[] states = parse(() -> encoder.encode(text));
                encoded.add(states);
                total += states.length;
            }
        }
        float[] all = new float[total];
        int at = 0;
        for (float[] states : encoded) {
            System.arraycopy(states, 0, all, at, states.length);
            at += states.length;
        }
        return all;
    }


    /** Runs {@code step}, turning the core's IllegalArgumentException (bad input) into a one-line user error. */
    private static <T> T parse(Supplier<T> step) {
        try {
            return step.get();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
