package io.moestream.cli;

import io.moestream.cli.BenchRun.SpeedUp;
import io.moestream.cli.LayerBaseline.LayerRun;
import io.moestream.cli.SpecNameConverter.PolicyName;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.kernels.KernelBackend;
import io.moestream.local.LocalModel;
import io.moestream.local.LocalStack;
import io.moestream.model.ModelConfig;
import io.moestream.pipeline.MoeSettings;
import io.moestream.routing.ParallelStepTime;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe bench}: the pipeline against the in-process layer, and capacity against dropless, in one run. */
@Command(name = "bench",
        description = {
            "Starts the local pipeline on free ports with one expert kernel thread per rank and sends the"
                + " bundled corpus through it under each policy and capacity factor (after one unmeasured pass),"
                + " then stops it and runs the same prompts in the same steps through the in-process layer with"
                + " the same backend. Reports per policy and capacity factor: tokens/s, p50/p99 latency, time per"
                + " step, per-rank busy time and straggler ratios, bytes on the wire per token against the"
                + " minimum, the in-process layer's tokens/s, and each policy's speed-up over dropless: measured"
                + " in the pipeline and in process, and modelled for --modelled-ranks ranks from the routing of"
                + " the same steps. Writes report.txt and report.json.",
            ""})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--policies", split = ",", paramLabel = "POLICY", defaultValue = "dropless,token-drop",
            converter = PolicyName.class, description = "Policies to run; dropless runs first in any case, once.")
    List<Policy> policies;

    @Option(names = "--capacity-factors", split = ",", paramLabel = "GAMMA", defaultValue = "1.0,1.5",
            description = "Capacity factors each capacity policy runs at.")
    List<Double> capacityFactors;

    @Option(names = "--ranks", defaultValue = "2", paramLabel = "R",
            description = "Expert-parallel ranks, one expert service each, one kernel thread each.")
    int ranks;

    @Option(names = "--modelled-ranks", defaultValue = "8", paramLabel = "R",
            description = "Ranks of the modelled step time (the papers measured on 8 GPUs).")
    int modelledRanks;

    /** A model of the preset at --scale unless one is given. */
    @Mixin
    ModelChoice modelChoice;

    @Option(names = "--scale", defaultValue = "small", paramLabel = "S", converter = SpecNameConverter.ScaleName.class,
            description = "Without --model: tiny or small (full needs gigabytes). Small makes the experts' compute"
                    + " outweigh the transport.")
    Scale scale;

    @Mixin
    BundledPrompts prompts;

    @Option(names = "--step-tokens", defaultValue = "256", paramLabel = "T",
            description = "The gateway's max tokens per step (moe.gateway.max-tokens-per-step), and the in-process"
                    + " layer's step size.")
    int stepTokens;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "B",
            converter = SpecNameConverter.BackendName.class,
            description = "Expert kernels, in the pipeline and in process: auto, cpu, gpu or java.")
    KernelBackend backend;

    @Option(names = "--repeat", defaultValue = "3", paramLabel = "N",
            description = "Passes per policy and capacity factor, in rounds, in the pipeline and in process; the"
                    + " report gives the median pass by tokens/s.")
    int repeat;

    @Option(names = "--out", defaultValue = "bench-report", paramLabel = "DIR",
            description = "Where report.txt and report.json go.")
    Path out;

    @Mixin
    ReportStack reportStack;

    /** One policy at one capacity factor ({@code null} for dropless, which has none). */
    private record Config(String policy, Double capacityFactor) {

        String label() {
            return capacityFactor == null ? policy : policy + "-cf" + capacityFactor;
        }
    }

    @Override
    public Integer call() {
        List<String> texts = prompts.texts();
        List<Config> configs = configs();
        if (ranks < 1 || modelledRanks < 1 || stepTokens < 1 || repeat < 1) {
            throw new UserError("--ranks, --modelled-ranks, --step-tokens and --repeat must be positive");
        }
        PrintWriter progress = spec.commandLine().getErr();
        long begin = System.nanoTime();
        Path model = modelChoice.model;
        Preset preset = modelChoice.preset;
        progress.printf("moe bench: %s...%n", model == null ? "generating a " + SpecName.of(preset) + " "
                + SpecName.of(scale) + " model" : "reading " + model);
        progress.flush();
        try (LocalModel checkpoint = model == null ? LocalModel.generate(preset, scale) : LocalModel.given(model)) {
            ModelConfig config = checkpoint.config();
            MoeSettings settings = new MoeSettings(null, checkpoint.dir(), 0, ranks, null, null, Map.of());
            Map<Config, List<PipelineFigures>> pipeline = runPipeline(settings, configs, texts, progress);
            progress.printf("moe bench: the in-process layer, the same %d prompts...%n", texts.size());
            progress.flush();
            List<BenchRun> runs = new ArrayList<>();
            List<SpeedUp> speedUps = new ArrayList<>();
            String backendUsed;
            try (LayerBaseline layer = new LayerBaseline(checkpoint.dir(), settings.modelLayer(), texts, ranks,
                    stepTokens, backend, ranks)) {
                backendUsed = layer.backend();
                Placement placement = settings.placement(config.numExperts());
                Map<Config, List<LayerRun>> inProcess = runInProcess(layer, placement, configs, progress);
                // One cost per row for every run: dropless's, the most rows, hence the steadiest.
                double secondsPerRow = median(pipeline.get(configs.get(0)), PipelineFigures::tokensPerSecond)
                        .secondsPerRow();
                List<Integer> modelRanks = List.of(ranks, modelledRanks);
                List<ParallelStepTime> droplessTimes = null;
                for (Config c : configs) {
                    RoutingConfig routing = layer.routing(c.policy(), c.capacityFactor());
                    List<ParallelStepTime> times = modelRanks.stream()
                            .map(r -> layer.model(routing, Placement.contiguous(config.numExperts(), r))).toList();
                    PipelineFigures figures = median(pipeline.get(c), PipelineFigures::tokensPerSecond);
                    BenchRun run = new BenchRun(c.policy(), c.capacityFactor(), figures,
                            BenchRun.InProcess.of(median(inProcess.get(c), LayerRun::tokensPerSecond), figures),
                            IntStream.range(0, modelRanks.size()).mapToObj(i -> BenchRun.Modelled.of(modelRanks.get(i),
                                    times.get(i), secondsPerRow)).toList(),
                            pipeline.get(c).stream().mapToDouble(PipelineFigures::tokensPerSecond).toArray(),
                            inProcess.get(c).stream().mapToDouble(LayerRun::tokensPerSecond).toArray());
                    if (droplessTimes == null) {
                        droplessTimes = times;
                    } else {
                        speedUps.add(run.speedUpOver(runs.get(0), times.get(0).speedUpOver(droplessTimes.get(0)),
                                times.get(1).speedUpOver(droplessTimes.get(1))));
                    }
                    runs.add(run);
                }
            }
            String setup = setup(config, texts.size(), runs.get(0).pipeline().tokens(), backendUsed,
                    (System.nanoTime() - begin) / 1e9);
            write(setup, config, settings, runs, speedUps, modelNote(runs.get(0)));
        }
        return 0;
    }

    /** Dropless first and once (capacity does not change it), then every other policy at every capacity factor. */
    private List<Config> configs() {
        if (capacityFactors.stream().anyMatch(f -> !(f > 0) || Double.isInfinite(f))) {
            throw new UserError("--capacity-factors must be positive numbers, got " + capacityFactors);
        }
        List<Config> configs = new ArrayList<>(List.of(new Config(SpecName.of(Policy.DROPLESS), null)));
        policies.stream().filter(p -> p != Policy.DROPLESS).map(SpecName::of).distinct()
                .flatMap(p -> capacityFactors.stream().distinct().map(f -> new Config(p, f))).forEach(configs::add);
        if (configs.size() < 2) {
            throw new UserError("--policies needs a policy besides dropless to compare with it");
        }
        return configs;
    }

    /**
     * Every configuration {@code --repeat} times, in rounds, so that a slow spell of a shared machine
     * falls on all of them alike.
     */
    private Map<Config, List<PipelineFigures>> runPipeline(MoeSettings settings, List<Config> configs,
                                                           List<String> texts, PrintWriter progress) {
        progress.printf("moe bench: starting the local pipeline (%d ranks, one kernel thread each)...%n", ranks);
        progress.flush();
        Map<Config, List<PipelineFigures>> figures = new LinkedHashMap<>();
        try (LocalStack stack = start(settings)) {
            List<String> metrics = Stream.concat(Stream.of(stack.routerUrl()), stack.expertUrls().stream()).toList();
            try (PipelineDriver driver = new PipelineDriver(stack, metrics, progress)) {
                progress.printf("moe bench: warming up (the prompts once under dropless, not measured)...%n");
                progress.flush();
                driver.switchTo(configs.get(0).policy(), null);
                driver.send("warm-up", texts, false);
                for (int round = 1; round <= repeat; round++) {
                    for (Config c : configs) {
                        progress.printf(Locale.ROOT, "moe bench: %s, pass %d of %d, %d prompts...%n", c.label(),
                                round, repeat, texts.size());
                        progress.flush();
                        driver.switchTo(c.policy(), c.capacityFactor());
                        PipelineFigures f = PipelineFigures.of(driver.send(c.label() + "-" + round, texts, false),
                                ranks);
                        progress.printf(Locale.ROOT, "  %,d tokens at %,.0f tokens/s%n", f.tokens(),
                                f.tokensPerSecond());
                        progress.flush();
                        figures.computeIfAbsent(c, k -> new ArrayList<>()).add(f);
                    }
                }
            }
        }
        return figures;
    }

    /** The same rounds in process, after a few untimed steps. */
    private Map<Config, List<LayerRun>> runInProcess(LayerBaseline layer, Placement placement, List<Config> configs,
                                                     PrintWriter progress) {
        layer.warmUp(layer.routing(configs.get(0).policy(), null), placement);
        Map<Config, List<LayerRun>> runs = new LinkedHashMap<>();
        for (int round = 1; round <= repeat; round++) {
            for (Config c : configs) {
                LayerRun run = layer.run(layer.routing(c.policy(), c.capacityFactor()), placement);
                progress.printf(Locale.ROOT, "  %s in process, pass %d of %d: %,.0f tokens/s%n", c.label(), round,
                        repeat, run.tokensPerSecond());
                progress.flush();
                runs.computeIfAbsent(c, k -> new ArrayList<>()).add(run);
            }
        }
        return runs;
    }

    /** The median pass by tokens/s (the upper one of an even count): robust to a slow or a lucky pass. */
    private static <T> T median(List<T> passes, ToDoubleFunction<T> tokensPerSecond) {
        List<T> sorted = new ArrayList<>(passes);
        sorted.sort(Comparator.comparingDouble(tokensPerSecond));
        return sorted.get(sorted.size() / 2);
    }

    private LocalStack start(MoeSettings settings) {
        return reportStack.start(stack -> stack.settings(settings)
                .property("moe.gateway.max-tokens-per-step", Integer.toString(stepTokens))
                // All prompts arrive at once: a linger longer than the gateway's pause between polls keeps it
                // from cutting short steps, so the pipeline's steps are the in-process layer's (StepPlan).
                .property("moe.gateway.linger-ms", "100")
                .property("moe.expert.backend", backend.specName())
                // In one JVM threads cannot be pinned to cores: one kernel thread per rank is the nearest
                // to each rank on a core of its own (OpenBLAS's thread count is process-wide).
                .property("moe.expert.threads", "1")
                // All prompts are sent at once and queue: the bench measures, it must not degrade or time out.
                .property("moe.gateway.deadline-ms", "600000")
                .property("moe.gateway.request-timeout-ms", "600000"));
    }

    private String setup(ModelConfig config, int promptCount, long tokens, String backendUsed, double seconds) {
        String source = modelChoice.model == null
                ? "generated " + SpecName.of(modelChoice.preset) + " " + SpecName.of(scale) + " model"
                : modelChoice.model.toString();
        return String.format(Locale.ROOT, "moe bench: %s (%s, %d experts, top-%d, d=%d, F=%d) on %d ranks;"
                        + " %d prompts of the bundled corpus,%n  %,d tokens, in steps of up to %d tokens; median of %d"
                        + " passes each; expert kernels %s;%n  in the pipeline one kernel thread per rank, in process"
                        + " %d threads; %.0f s in all", source, config.modelType(), config.numExperts(), config.topK(),
                config.hiddenSize(), config.expertFfnSize(), ranks, promptCount, tokens, stepTokens, repeat,
                backendUsed, ranks, seconds);
    }

    private String modelNote(BenchRun dropless) {
        return String.format(Locale.ROOT, "modelled: the same steps routed (not computed) with the contiguous"
                        + " placement on R ranks; a step%n  lasts as long as its busiest rank: max over ranks of"
                        + " (rows on the rank) x %.1f us per row (the pipeline's%n  dropless kernel time over its"
                        + " rows). Communication is left out, and with one cost per row the speed-up%n  is the ratio"
                        + " of the summed busiest-rank rows. Modelled dropless step: %.1f ms on %d ranks, %.1f ms on"
                        + " %d.", dropless.pipeline().secondsPerRow() * 1e6, dropless.modelled().get(0).meanStepMs(),
                ranks, dropless.modelled().get(1).meanStepMs(), modelledRanks);
    }

    private void write(String setup, ModelConfig config, MoeSettings settings, List<BenchRun> runs,
                       List<SpeedUp> speedUps, String modelNote) {
        int slotBytes = config.hiddenSize() * settings.wireType().bytes();
        StringWriter text = new StringWriter();
        BenchReport.print(new PrintWriter(text), setup, runs, speedUps, ranks, config.topK(), slotBytes, modelNote);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("setup", setup);
        json.put("ranks", ranks);
        json.put("modelledRanks", modelledRanks);
        json.put("stepTokens", stepTokens);
        json.put("topK", config.topK());
        json.put("hiddenSize", config.hiddenSize());
        json.put("wireBytes", settings.wireType().bytes());
        json.put("minimumBytesPerToken", config.topK() * slotBytes);
        json.put("secondsPerRow", runs.get(0).pipeline().secondsPerRow());
        json.put("runs", runs);
        json.put("speedUps", speedUps);
        json.put("modelled", modelNote);
        ReportFiles.write(spec.commandLine().getOut(), out, text.toString(), json, Map.of());
    }
}
