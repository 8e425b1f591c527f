package io.moestream.cli;

import io.moestream.cli.SpecNameConverter.PolicyName;
import io.moestream.local.LocalStack;
import io.moestream.model.ModelConfig;
import io.moestream.pipeline.MoeSettings;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.SpecName;
import io.moestream.text.ModelTokenizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moe demo}: the bundled corpus through the local pipeline under each policy, then the whole
 * model in process (its text, its quality cost, a domain burst) and through Kafka, and a report.
 */
@Command(name = "demo",
        description = {
            "Starts the local pipeline (embedded Kafka broker, gateway, router, one expert service per rank)"
                + " on free ports, sends the bundled corpus of prompts through it under each policy, switched"
                + " live on the control topic, and reports per policy: per-expert demand and load, drop rate,"
                + " straggler ratios, tokens/s, p50/p99 latency and fidelity against dropless, then a table"
                + " comparing them. Dropless always runs first: its outputs are the reference for fidelity.",
            "Then, when the model has a tokenizer, runs the whole model in process"
                + " under each policy: the text it generates from the opening of each domain's held-out text,"
                + " what each policy costs on held-out text of every domain (perplexity, KL and top-1"
                + " agreement against dropless, drop rate, modelled speed-up), and a burst of one domain"
                + " alone, whose experts run hot.",
            "Then the whole model through Kafka, served by the same stack's dense workers: under each policy the same"
                + " prompts and held-out sequences as requests on moe.prompts, and what comes back: the text (and"
                + " whether it is the in-process text), perplexity beside the in-process one, time to first token"
                + " and inter-token latency (p50, p99), and per MoE layer the straggler and balancedness of the"
                + " kept slots. Writes report.txt, report.json and report.png.",
            "The model: --model, else a tiny generated model of --preset when --preset is given, else the"
                + " trained model (models/olmoe-corpus).",
            ""})
final class DemoCommand implements Callable<Integer> {

    static final String DEFAULT_POLICIES = "dropless,vanilla,token-drop,token-reroute,expanded-drop,rectify";

    @Spec
    CommandSpec spec;

    @Option(names = "--policies", split = ",", paramLabel = "POLICY", defaultValue = DEFAULT_POLICIES,
            converter = PolicyName.class, description = "Policies to run, in order.")
    List<Policy> policies;

    @Option(names = "--capacity-factor", defaultValue = "1.0", paramLabel = "GAMMA",
            description = "Capacity factor of the capacity policies.")
    double capacityFactor;

    @Option(names = "--ranks", defaultValue = "2", paramLabel = "R", description = "Expert-parallel ranks.")
    int ranks;

    /** The trained model unless a model or a preset is given. */
    @Mixin
    ModelChoice modelChoice;

    @Option(names = "--corpus", paramLabel = "DIR",
            description = "The corpus whose held-out text the whole-model part uses. Default: the trained model's,"
                    + " or the held-out split bundled with it where the checkout has no corpus beside it.")
    Path corpus;

    @Option(names = "--burst-domain", defaultValue = "code", paramLabel = "DOMAIN",
            description = "The domain of the burst: its held-out text alone.")
    String burstDomain;

    @Option(names = "--new-tokens", defaultValue = "24", paramLabel = "N",
            description = "Tokens generated per prompt under each policy.")
    int newTokens;

    @Option(names = "--held-out-sequences", defaultValue = "2", paramLabel = "N",
            description = "Held-out sequences per domain for the quality cost, in process and through Kafka"
                    + " (the burst takes twice as many).")
    int heldOutSequences;

    @Mixin
    BundledPrompts prompts;

    @Option(names = "--out", defaultValue = "demo-report", paramLabel = "DIR",
            description = "Where report.txt, report.json and report.png go.")
    Path out;

    @Mixin
    ReportStack reportStack;

    @Override
    public Integer call() {
        List<String> texts = prompts.texts();
        List<String> order = policyOrder();
        if (newTokens < 1 || heldOutSequences < 1) {
            throw new UserError("--new-tokens and --held-out-sequences must be >= 1");
        }
        Path model = model();
        PrintWriter progress = spec.commandLine().getErr();
        HeldOutText heldOutText = heldOutText(progress);
        progress.printf("moe demo: starting the local pipeline (%d ranks)...%n", ranks);
        progress.flush();
        List<PolicyRun> runs = new ArrayList<>();
        String setup;
        Placement placement;
        WholeModelDemo.Result whole = null;
        WholeModelKafka.Result kafka = null;
        try (LocalStack stack = start(model)) {
            ModelConfig config = ModelConfig.read(stack.settings().modelDir()).orElseThrow();
            placement = stack.settings().placement(config.numExperts());
            setup = setup(model, config, texts.size());
            try (DemoRun demo = new DemoRun(stack, texts, capacityFactor, config.numExperts(), progress)) {
                progress.printf("moe demo: warming up (the prompts once under dropless, not measured)...%n");
                progress.flush();
                demo.warmUp();
                for (int i = 0; i < order.size(); i++) {
                    progress.printf(Locale.ROOT, "moe demo: %s (%d of %d), %d prompts...%n", order.get(i), i + 1,
                            order.size(), texts.size());
                    progress.flush();
                    PolicyRun run = demo.run(order.get(i));
                    progress.printf(Locale.ROOT, "  %s: %,d tokens at %,.0f tokens/s, drop rate %s%n", run.policy(),
                            run.tokens(), run.tokensPerSecond(), Reports.percent(run.dropRate()));
                    progress.flush();
                    runs.add(run);
                }
            }
            // Inside the stack: a generated model's directory goes with it.
            Path modelDir = stack.settings().modelDir();
            if (!Files.isRegularFile(modelDir.resolve(ModelTokenizer.FILE))) {
                progress.printf("moe demo: %s has no %s, so the whole-model part is left out%n", modelDir,
                        ModelTokenizer.FILE);
            } else if (heldOutText != null) {
                whole = WholeModelDemo.run(modelDir, heldOutText, order, capacityFactor, ranks, newTokens,
                        heldOutSequences, burstDomain, progress);
                kafka = WholeModelKafka.run(stack, whole, order, capacityFactor, placement, progress);
            }
        }
        write(setup, placement, runs, whole, kafka);
        return 0;
    }

    /**
     * The whole-model part's held-out text, read before the pipeline starts: a bad --corpus stops the demo at
     * once; without --corpus, where neither the trained model's corpus nor its bundled split is found (a
     * launch outside a checkout), the part is left out with a note, as the pipeline part needs neither.
     */
    private HeldOutText heldOutText(PrintWriter progress) {
        if (corpus != null) {
            return HeldOutText.of(corpus, TrainedModelPaths.HELD_OUT_SHARE);
        }
        try {
            return HeldOutText.of(null, TrainedModelPaths.HELD_OUT_SHARE);
        } catch (UserError e) {
            progress.printf("moe demo: %s; so the whole-model part is left out%n", e.getMessage());
            return null;
        }
    }

    /**
     * --model; else none, for a generated model of --preset, when --preset is given; else the trained model.
     *
     * @throws UserError when the trained model is not in this checkout
     */
    private Path model() {
        if (modelChoice.model != null || spec.commandLine().getParseResult().hasMatchedOption("--preset")) {
            return modelChoice.model;
        }
        if (!TrainedModelPaths.exists()) {
            throw new UserError("the trained model is not at " + TrainedModelPaths.dir()
                    + "; give --model DIR, or --preset P for a generated model");
        }
        return TrainedModelPaths.dir();
    }

    /** The policies by spec name, dropless first and once, since the others are measured against it. */
    private List<String> policyOrder() {
        List<String> order = new ArrayList<>(List.of(SpecName.of(Policy.DROPLESS)));
        policies.stream().map(SpecName::of).filter(name -> !order.contains(name)).forEach(order::add);
        return order;
    }

    private LocalStack start(Path model) {
        MoeSettings settings = new MoeSettings(null, model, 0, ranks, null, null,
                Map.of("capacity-factor", Double.toString(capacityFactor)));
        return reportStack.start(stack -> stack.preset(modelChoice.preset).settings(settings)
                // Two busy cores can hold an expert's answer back for seconds; the demo measures, not degrades.
                .property("moe.gateway.deadline-ms", "60000"));
    }

    private String setup(Path model, ModelConfig config, int promptCount) {
        String source = model == null ? "generated " + SpecName.of(modelChoice.preset) + " tiny model"
                : model.toString();
        return String.format(Locale.ROOT, "moe demo: %s (%s, %d experts, top-%d, d=%d) on %d ranks, capacity factor %s,"
                        + " %d prompts of the bundled corpus through Kafka", source, config.modelType(),
                config.numExperts(), config.topK(), config.hiddenSize(), ranks, capacityFactor, promptCount);
    }

    private void write(String setup, Placement placement, List<PolicyRun> runs, WholeModelDemo.Result whole,
                       WholeModelKafka.Result kafka) {
        StringWriter text = new StringWriter();
        PrintWriter writer = new PrintWriter(text);
        DemoReport.print(writer, setup, placement, runs);
        if (whole != null) {
            writer.println();
            WholeModelDemoReport.print(writer, whole, capacityFactor, ranks);
            writer.println();
            WholeModelKafkaReport.print(writer, kafka, capacityFactor, ranks);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("setup", setup);
        json.put("ranks", ranks);
        json.put("capacityFactor", capacityFactor);
        json.put("policies", runs);
        if (whole != null) {
            Map<String, Object> wholeModel = WholeModelDemoReport.json(whole, capacityFactor);
            wholeModel.put("kafka", kafka);
            json.put("wholeModel", wholeModel);
        }
        String chartTitle = setup.replaceFirst(" of the bundled corpus.*", "");
        ReportFiles.write(spec.commandLine().getOut(), out, text.toString(), json,
                Map.of("report.png", file -> DemoChart.write(file, chartTitle, runs)));
    }
}
