package io.moestream.cli;

import io.moestream.cli.SpecNameConverter.CapacityScopeName;
import io.moestream.cli.SpecNameConverter.DropOrderName;
import io.moestream.cli.SpecNameConverter.IrCapacityName;
import io.moestream.cli.SpecNameConverter.MetricName;
import io.moestream.cli.SpecNameConverter.ModeName;
import io.moestream.cli.SpecNameConverter.PolicyName;
import io.moestream.cli.SpecNameConverter.RoundingName;
import io.moestream.cli.SpecNameConverter.ScoreFunctionName;
import io.moestream.cli.SpecNameConverter.WeightsName;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.routing.Options.CapacityScope;
import io.moestream.routing.Options.DropOrder;
import io.moestream.routing.Options.IrCapacity;
import io.moestream.routing.Options.Metric;
import io.moestream.routing.Options.RerouteMode;
import io.moestream.routing.Options.Rounding;
import io.moestream.routing.Options.ScoreFunction;
import io.moestream.routing.Options.Weights;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.RoutingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The routing flags, one per option of ROUTING-SPEC and under its name, and the configuration and
 * placement they make. A picocli mixin: a command that routes includes it and names
 * {@link RoutingDefaults} as its default value provider.
 */
final class RoutingOptions {

    static final Policy DEFAULT_POLICY = Policy.TOKEN_DROP;
    static final int DEFAULT_TOP_K = 2;

    @Option(names = "--policy", paramLabel = "POLICY", converter = PolicyName.class,
            completionCandidates = PolicyName.class,
            description = "Routing policy (spec section 2): ${COMPLETION-CANDIDATES}.")
    Policy policy;

    @Option(names = "--top-k", paramLabel = "K", description = "Experts each token chooses (k).")
    int topK;

    @Option(names = "--capacity-factor", paramLabel = "GAMMA",
            description = "gamma: each expert keeps at most C = max(1, ceil(gamma*T*k/E)) slots per step. "
                    + "Unset or <= 0: no capacity. Default: unset.")
    Double capacityFactor;

    @Option(names = "--ranks", paramLabel = "R",
            description = "Ranks (devices) hosting the experts in contiguous blocks. "
                    + "Default: 1, or the rank count of --placement.")
    Integer ranks;

    @Option(names = "--placement", paramLabel = "FILE",
            description = "JSON array expert -> rank, e.g. [0,0,1,1]; replaces the contiguous placement.")
    Path placementFile;

    @Option(names = "--weights", paramLabel = "W", converter = WeightsName.class,
            completionCandidates = WeightsName.class,
            description = "Combine weights: ${COMPLETION-CANDIDATES} (raw p, p over the top-k sum, "
                    + "p over the kept sum). Not used by rectify*.")
    Weights weights;

    @Option(names = "--rounding", paramLabel = "R", converter = RoundingName.class,
            completionCandidates = RoundingName.class,
            description = "How gamma*T*k/E becomes C: ${COMPLETION-CANDIDATES}.")
    Rounding rounding;

    @Option(names = "--drop-order", paramLabel = "ORDER", converter = DropOrderName.class,
            completionCandidates = DropOrderName.class,
            description = "vanilla and the rectify base: keep slots by ${COMPLETION-CANDIDATES} "
                    + "(first come, or highest p).")
    DropOrder dropOrder;

    @Option(names = "--metric", paramLabel = "METRIC", converter = MetricName.class,
            completionCandidates = MetricName.class,
            description = "token-drop: which slots an overflowing expert keeps: ${COMPLETION-CANDIDATES}.")
    Metric metric;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of --metric random.")
    long seed;

    @Option(names = "--mode", paramLabel = "MODE", converter = ModeName.class,
            completionCandidates = ModeName.class,
            description = "token-reroute: ${COMPLETION-CANDIDATES} (re-select for --rounds rounds, "
                    + "or move dropped slots once to experts with room).")
    RerouteMode mode;

    @Option(names = "--rounds", paramLabel = "N", description = "token-reroute --mode rounds: rounds (>= 1).")
    int rounds;

    @Option(names = "--max-experts-per-token", paramLabel = "N",
            description = "expanded-drop: keep at most N slots per token (k gives the paper's \"w/ max\"). "
                    + "Default: no limit.")
    Integer maxExpertsPerToken;

    @Option(names = "--ir-capacity", paramLabel = "CAP", converter = IrCapacityName.class,
            completionCandidates = IrCapacityName.class,
            description = "rectify, rectify-ir: ${COMPLETION-CANDIDATES} (IR slots may exceed C, "
                    + "or only fill vacancy).")
    IrCapacity irCapacity;

    @Option(names = "--ir-exclude-dropping-expert", paramLabel = "BOOL", arity = "1",
            showDefaultValue = Visibility.ALWAYS,
            description = "rectify, rectify-ir: never rectify a token onto an expert that dropped it "
                    + "(true|false).")
    boolean irExcludeDroppingExpert;

    @Option(names = "--capacity-scope", paramLabel = "SCOPE", converter = CapacityScopeName.class,
            completionCandidates = CapacityScopeName.class,
            description = "${COMPLETION-CANDIDATES}: C per expert, or one budget |L(r)|*C per rank.")
    CapacityScope capacityScope;

    @Option(names = "--score-function", paramLabel = "F", converter = ScoreFunctionName.class,
            completionCandidates = ScoreFunctionName.class,
            description = "Scores p from logits: ${COMPLETION-CANDIDATES}.")
    ScoreFunction scoreFunction;

    RoutingConfig config() {
        try {
            return RoutingConfig.builder(policy, topK)
                    .capacityFactor(capacityFactor)
                    .rounding(rounding)
                    .scoreFunction(scoreFunction)
                    .weights(weights)
                    .dropOrder(dropOrder)
                    .metric(metric)
                    .seed(seed)
                    .mode(mode)
                    .rounds(rounds)
                    .maxExpertsPerToken(maxExpertsPerToken)
                    .irCapacity(irCapacity)
                    .irExcludeDroppingExpert(irExcludeDroppingExpert)
                    .capacityScope(capacityScope)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * {@code base} (a model's own routing, say) with the routing options given on the command line
     * applied over it.
     */
    RoutingConfig over(RoutingConfig base, CommandSpec command) {
        try {
            return RoutingSettings.apply(base, given(command.commandLine().getParseResult()));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * The routing options given on the command line, by spec name, for applying over a base that
     * is not the spec's default (a model's own top-k and weights, a service's configuration).
     */
    Map<String, String> given(ParseResult parsed) {
        Map<String, String> given = new LinkedHashMap<>();
        for (OptionSpec option : parsed.matchedOptions()) {
            String name = option.longestName().substring(2);
            if (RoutingSettings.NAMES.contains(name)) {
                List<String> values = option.originalStringValues();
                given.put(name, values.get(values.size() - 1));
            }
        }
        return given;
    }

    /** The placement of {@code experts} experts: from --placement if given, else contiguous over --ranks. */
    Placement placement(int experts) {
        if (placementFile == null) {
            try {
                return Placement.contiguous(experts, ranks == null ? 1 : ranks);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
        }
        Placement placement = readPlacement();
        if (placement.experts() != experts) {
            throw new UserError(placementFile + " places " + placement.experts() + " experts but the trace has "
                    + experts);
        }
        if (ranks != null && ranks != placement.ranks()) {
            throw new UserError("--ranks " + ranks + " disagrees with " + placementFile + ", which uses "
                    + placement.ranks() + " ranks");
        }
        return placement;
    }

    private Placement readPlacement() {
        JsonNode array;
        try {
            array = Json.MAPPER.readTree(Files.readString(placementFile));
        } catch (IOException e) {
            throw UserError.io(placementFile.toString(), e);
        } catch (JacksonException e) {
            throw new UserError(placementFile + ": " + e.getOriginalMessage());
        }
        if (array == null || !array.isArray()) {
            throw new UserError(placementFile + ": expected a JSON array expert -> rank, e.g. [0,0,1,1]");
        }
        int[] rankOf = new int[array.size()];
        for (int e = 0; e < rankOf.length; e++) {
            JsonNode rank = array.get(e);
            if (!rank.canConvertToExactIntegral() || !rank.canConvertToInt()) {
                throw new UserError(placementFile + ": the rank of expert " + e + " is not an integer: " + rank);
            }
            rankOf[e] = rank.intValue();
        }
        try {
            return Placement.of(rankOf);
        } catch (IllegalArgumentException e) {
            throw new UserError(placementFile + ": " + e.getMessage());
        }
    }
}
