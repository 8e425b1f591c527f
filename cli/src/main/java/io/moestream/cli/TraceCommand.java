package io.moestream.cli;

import io.moestream.routing.SyntheticLogits;
import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code moe trace}: writes synthetic router logits with a known skew; see {@link SyntheticLogits}. */
@Command(name = "trace",
        description = {
            "Writes synthetic router logits with a tunable skew (JSON Lines).",
            "One step per line, one row of E logits per token, r = step mod R:",
            "  {\"sourceRank\": r, \"logits\": [[a00, a01, ...], ...]}",
            "",
            "Skew model: a seeded random permutation pi ranks expert popularity",
            "(pi(e) = 0 for the most popular) and",
            "  a[t][e] = -X * ln(1 + pi(e)) + g[t][e],  g i.i.d. Gumbel(0,1).",
            "A softmax router's first choice is then exactly Zipf distributed,",
            "P(popularity rank r) ~ (r+1)^-X, and its top-k choices are",
            "Plackett-Luce draws without replacement. X = 0 is balanced; X = 1",
            "puts the busiest expert at E/H_E times the mean (2.9 for E = 8),",
            "the range measured on OLMoE and Mixtral.",
            ""})
final class TraceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--experts", paramLabel = "E", defaultValue = "8", description = "Experts: logits per token.")
    int experts;

    @Option(names = "--tokens", paramLabel = "T", defaultValue = "256", description = "Tokens per step.")
    int tokens;

    @Option(names = "--steps", paramLabel = "S", defaultValue = "16", description = "Steps (lines).")
    int steps;

    @Option(names = "--ranks", paramLabel = "R", defaultValue = "4",
            description = "Source ranks the steps take turns on.")
    int ranks;

    @Option(names = "--skew", paramLabel = "X", defaultValue = "1.0",
            description = "Zipf exponent of expert popularity (>= 0).")
    double skew;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Random seed.")
    long seed;

    @Option(names = "--output", paramLabel = "FILE", description = "Write here instead of stdout.")
    String output;

    @Override
    public Integer call() throws IOException {
        require(experts >= 1 && tokens >= 1 && steps >= 0 && ranks >= 1,
                "--experts, --tokens and --ranks must be >= 1 and --steps >= 0");
        SyntheticLogits logits;
        try {
            logits = new SyntheticLogits(experts, skew, seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--" + e.getMessage());
        }
        try (Writer out = Outputs.open(output, spec)) {
            for (int step = 0; step < steps; step++) {
                out.write(TraceFormat.format(step % ranks, logits.nextStep(tokens)));
                out.write('\n');
            }
        }
        return 0;
    }

    private void require(boolean condition, String message) {
        if (!condition) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }
}
