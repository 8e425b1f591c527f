package io.moestream.cli;

import io.moestream.cli.SpecNameConverter.PolicyName;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.RoutingResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code moe replay}: routes a trace of router logits step by step and writes the routing of each
 * step, a readable summary, or a comparison of policies and capacity factors. The trace is read
 * once, a line at a time, however many configurations it is routed under.
 */
@Command(name = "replay", defaultValueProvider = RoutingDefaults.class,
        description = {
            "Routes a trace of router logits under a policy of ROUTING-SPEC.",
            "The trace comes from a model or from 'moe trace'.",
            "With --output: the routing of every step as JSON Lines. Without: a summary of the whole trace.",
            "With --compare: one table of several policies x capacity factors on the same trace.",
            ""})
final class ReplayCommand implements Callable<Integer> {

    private record Run(Router router, Consumer<RoutingResult> sink) {
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "Trace, JSON Lines {\"sourceRank\": r, \"logits\": [[...], ...]}; - reads stdin.")
    String input;

    @Option(names = "--output", paramLabel = "FILE",
            description = "Write each step's kept slots, dropped experts and stats as JSON Lines "
                    + "(- for stdout) instead of the summary.")
    String output;

    @Mixin
    RoutingOptions routing;

    @Option(names = "--compare", split = ",", paramLabel = "POLICY", converter = PolicyName.class,
            description = "Compare these policies (replaces --policy), e.g. token-drop,rectify. "
                    + "dropless ignores capacity and appears once.")
    List<Policy> compare;

    @Option(names = "--capacity-factors", split = ",", paramLabel = "GAMMA", defaultValue = "1.0,1.5,2.0",
            description = "With --compare: the capacity factors to compare (replaces --capacity-factor).")
    List<Double> capacityFactors;

    @Override
    public Integer call() throws IOException {
        List<RoutingConfig> configs = configs();
        try (TraceReader trace = TraceReader.open(input, System.in)) {
            TraceStep first = trace.next();
            if (first == null) {
                throw new UserError(trace.name() + ": no steps");
            }
            Placement placement = routing.placement(first.experts());
            if (output != null) {
                writePlan(trace, first, placement, configs.get(0));
            } else {
                report(trace, first, placement, configs);
            }
        }
        return 0;
    }

    private void writePlan(TraceReader trace, TraceStep first, Placement placement, RoutingConfig config)
            throws IOException {
        try (PlanWriter plan = new PlanWriter(Outputs.open(output, spec))) {
            replay(trace, first, List.of(new Run(router(config, placement), plan)));
        }
    }

    private void report(TraceReader trace, TraceStep first, Placement placement, List<RoutingConfig> configs) {
        Map<RoutingConfig, ReplayTotals> totals = new LinkedHashMap<>();
        List<Run> runs = new ArrayList<>();
        for (RoutingConfig config : configs) {
            ReplayTotals sums = new ReplayTotals(placement.experts());
            if (totals.putIfAbsent(config, sums) == null) {
                runs.add(new Run(router(config, placement), sums));
            }
        }
        replay(trace, first, runs);
        PrintWriter out = spec.commandLine().getOut();
        if (compare == null) {
            SummaryReport.print(out, trace.name(), placement, configs.get(0), totals.get(configs.get(0)));
        } else {
            CompareTable.print(out, trace.name(), placement, totals);
        }
    }

    /** One configuration, or with --compare one per policy and factor (dropless once, without capacity). */
    private List<RoutingConfig> configs() {
        boolean factorsGiven = spec.commandLine().getParseResult().hasMatchedOption("--capacity-factors");
        if (compare == null) {
            if (factorsGiven) {
                throw new ParameterException(spec.commandLine(), "--capacity-factors needs --compare");
            }
            return List.of(routing.config());
        }
        if (output != null || routing.capacityFactor != null) {
            throw new ParameterException(spec.commandLine(),
                    "--compare takes neither --output nor --capacity-factor (use --capacity-factors)");
        }
        RoutingConfig base = routing.config();
        List<RoutingConfig> configs = new ArrayList<>();
        for (Policy policy : compare) {
            if (policy == Policy.DROPLESS) {
                configs.add(base.toBuilder().policy(policy).build());
                continue;
            }
            for (double factor : capacityFactors) {
                configs.add(base.toBuilder().policy(policy).capacityFactor(factor).build());
            }
        }
        return configs;
    }

    private static Router router(RoutingConfig config, Placement placement) {
        try {
            return new Router(config, placement);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    private static void replay(TraceReader trace, TraceStep first, List<Run> runs) {
        for (TraceStep step = first; step != null; step = trace.next()) {
            for (Run run : runs) {
                run.sink().accept(route(run.router(), step));
            }
        }
    }

    private static RoutingResult route(Router router, TraceStep step) {
        try {
            return router.route(step.logits(), step.sourceRank());
        } catch (IllegalArgumentException e) {
            throw new UserError(step.location() + ": " + e.getMessage());
        }
    }
}
