package io.moestream.cli;

import io.moestream.cli.SpecNameConverter.PolicyName;
import io.moestream.local.LocalStack;
import io.moestream.model.ModelConfig;
import io.moestream.pipeline.MoeSettings;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.SpecName;
import java.io.PrintWriter;
import java.io.StringWriter;
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

/** {@code moe demo}: the bundled corpus through the local pipeline under each policy, and a report. */
@Command(name = "demo",
        description = {
            "Starts the local pipeline (embedded Kafka broker, gateway, router, one expert service per rank)"
                + " on free ports, sends the bundled corpus of prompts through it under each policy, switched"
                + " live on the control topic, and reports per policy: per-expert demand and load, drop rate,"
                + " straggler ratios, tokens/s, p50/p99 latency and fidelity against dropless, then a table"
                + " comparing them. Writes report.txt, report.json and report.png. Dropless always runs first:"
                + " its outputs are the reference for fidelity.",
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

    /** A tiny model of the preset unless one is given. */
    @Mixin
    ModelChoice modelChoice;

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
        PrintWriter progress = spec.commandLine().getErr();
        progress.printf("moe demo: starting the local pipeline (%d ranks)...%n", ranks);
        progress.flush();
        List<PolicyRun> runs = new ArrayList<>();
        String setup;
        Placement placement;
        try (LocalStack stack = start()) {
            ModelConfig config = ModelConfig.read(stack.settings().modelDir()).orElseThrow();
            placement = stack.settings().placement(config.numExperts());
            setup = setup(config, texts.size());
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
        }
        write(setup, placement, runs);
        return 0;
    }

    /** The policies by spec name, dropless first and once, since the others are measured against it. */
    private List<String> policyOrder() {
        List<String> order = new ArrayList<>(List.of(SpecName.of(Policy.DROPLESS)));
        policies.stream().map(SpecName::of).filter(name -> !order.contains(name)).forEach(order::add);
        return order;
    }

    private LocalStack start() {
        MoeSettings settings = new MoeSettings(null, modelChoice.model, 0, ranks, null, null,
                Map.of("capacity-factor", Double.toString(capacityFactor)));
        return reportStack.start(stack -> stack.preset(modelChoice.preset).settings(settings)
                // Two busy cores can hold an expert's answer back for seconds; the demo measures, not degrades.
                .property("moe.gateway.deadline-ms", "60000"));
    }

    private String setup(ModelConfig config, int promptCount) {
        String source = modelChoice.model == null ? "generated " + SpecName.of(modelChoice.preset) + " tiny model"
                : modelChoice.model.toString();
        return String.format(Locale.ROOT, "moe demo: %s (%s, %d experts, top-%d, d=%d) on %d ranks, capacity factor %s,"
                        + " %d prompts of the bundled corpus through Kafka", source, config.modelType(),
                config.numExperts(), config.topK(), config.hiddenSize(), ranks, capacityFactor, promptCount);
    }

    private void write(String setup, Placement placement, List<PolicyRun> runs) {
        StringWriter text = new StringWriter();
        DemoReport.print(new PrintWriter(text), setup, placement, runs);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("setup", setup);
        json.put("ranks", ranks);
        json.put("capacityFactor", capacityFactor);
        json.put("policies", runs);
        String chartTitle = setup.replaceFirst(" of the bundled corpus.*", "");
        ReportFiles.write(spec.commandLine().getOut(), out, text.toString(), json,
                Map.of("report.png", file -> DemoChart.write(file, chartTitle, runs)));
    }
}
