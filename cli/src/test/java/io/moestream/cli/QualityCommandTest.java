package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.JavaBackend;
import io.moestream.decoder.Scorer;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code moe quality} on a small generated model and a two-domain corpus made of the bundled prompts:
 * the whole table, and single cells against what {@code moe score --compare dropless} gives.
 */
class QualityCommandTest {

    private static final List<String> LABELS = List.of("dropless", "vanilla (position)", "vanilla (score)",
            "token-drop (score)", "token-drop (order)", "token-drop (reverse)", "token-drop (random)",
            "token-reroute (rounds)", "token-reroute (greedy)", "expanded-drop", "rectify-ir", "rectify-fr", "rectify");
    private static final String STEP_TOKENS = "64";

    @TempDir
    static Path dir;

    static Path model;
    static Path corpus;
    static Path out;
    static Moe quality;
    static JsonNode report;

    @BeforeAll
    static void runTheDefaultTable() throws IOException {
        model = dir.resolve("model");
        Moe generated = Moe.run("generate-model", "--preset", "mixtral-like", "--out", model.toString());
        assertThat(generated.exitCode()).as(generated.err()).isZero();
        corpus = TestCorpus.write(dir.resolve("corpus"));
        out = dir.resolve("report");
        quality = Moe.run("quality", "--model", model.toString(), "--corpus", corpus.toString(), "--held-out",
                TestCorpus.HELD_OUT,
                "--sequence-length", "32", "--sequences-per-domain", "2", "--step-tokens", STEP_TOKENS, "--backend",
                "java", "--out", out.toString());
        assertThat(quality.exitCode()).as(quality.err()).isZero();
        report = Json.MAPPER.readTree(out.resolve("report.json").toFile());
    }

    @Test
    void theTableHasEveryPolicyAtEveryCapacityFactor() throws IOException {
        assertThat(report.path("capacityFactors").toString()).isEqualTo("[1.0,1.25,1.5,2.0]");
        assertThat(report.path("ranks").asInt()).isEqualTo(4);
        JsonNode rows = report.path("rows");
        assertThat(rows.size()).isEqualTo(LABELS.size());
        for (int r = 0; r < LABELS.size(); r++) {
            assertThat(rows.get(r).size()).isEqualTo(4);
            for (int c = 0; c < 4; c++) {
                JsonNode cell = rows.get(r).get(c);
                assertThat(cell.path("label").asString()).isEqualTo(LABELS.get(r));
                assertThat(cell.path("capacityFactor").asDouble()).isEqualTo(report.path("capacityFactors").get(c)
                        .asDouble());
                assertThat(cell.path("perplexity").asDouble()).isGreaterThan(1);
                assertThat(cell.path("domainPerplexity").size()).isEqualTo(2);
            }
        }
        String markdown = Files.readString(out.resolve("report.txt"));
        assertThat(markdown).contains("| policy | CF 1.0 | CF 1.25 | CF 1.5 | CF 2.0 |", "### Held-out perplexity",
                "### KL(dropless || policy)", "### Top-1 agreement", "### Drop rate", "### Modelled speed-up",
                "| domain0 |", "| domain1 |");
        for (String label : LABELS) {
            // One line per table: perplexity, KL, agreement, drop rate, speed-up.
            assertThat(Pattern.compile("(?m)^\\| " + Pattern.quote(label) + " \\|").matcher(markdown).results().count())
                    .as(label).isEqualTo(5);
        }
        BufferedImage chart = ImageIO.read(out.resolve("report.png").toFile());
        assertThat(chart.getWidth()).isEqualTo(QualityChart.WIDTH);
        assertThat(Files.readAllLines(out.resolve("sequences.jsonl"))).hasSize(4);
    }

    @Test
    void droplessAgreesWithItselfAndTheCapacityPoliciesDrop() {
        for (JsonNode cell : report.path("rows").get(0)) {
            assertThat(cell.path("kl").asDouble()).isZero();
            assertThat(cell.path("top1Agreement").asDouble()).isEqualTo(1.0);
            assertThat(cell.path("dropRate").asDouble()).isZero();
            assertThat(cell.path("speedUp").asDouble()).isEqualTo(1.0);
        }
        JsonNode tokenDrop = report.path("rows").get(LABELS.indexOf("token-drop (score)"));
        assertThat(tokenDrop.get(0).path("dropRate").asDouble()).isPositive();
        assertThat(tokenDrop.get(0).path("dropRate").asDouble())
                .isGreaterThanOrEqualTo(tokenDrop.get(3).path("dropRate").asDouble());
        assertThat(tokenDrop.get(0).path("kl").asDouble()).isPositive();
    }

    /** The cell against 'moe score' run on the sequences the table scored, with the same policy, options and steps. */
    @Test
    void aCellIsWhatScoreComparedWithDroplessGives() throws IOException {
        assertCellMatchesScore("token-drop (order)", 1, "--policy", "token-drop", "--metric", "order",
                "--capacity-factor", "1.25");
        assertCellMatchesScore("rectify", 0, "--policy", "rectify", "--capacity-factor", "1.0");
    }

    private static void assertCellMatchesScore(String label, int column, String... policy) throws IOException {
        JsonNode cell = report.path("rows").get(LABELS.indexOf(label)).get(column);
        Path scores = dir.resolve("scores-" + column + ".jsonl");
        List<String> args = new ArrayList<>(List.of("score", "--model", model.toString(), "--tokens-file",
                out.resolve("sequences.jsonl").toString(), "--step-tokens", STEP_TOKENS, "--ranks", "4", "--backend",
                "java", "--compare", "dropless", "--output", scores.toString()));
        args.addAll(List.of(policy));
        Moe score = Moe.run(args.toArray(String[]::new));
        assertThat(score.exitCode()).as(score.err()).isZero();

        double logprobs = 0;
        long predicted = 0;
        for (String line : Files.readAllLines(scores)) {
            JsonNode values = Json.MAPPER.readTree(line).path("logprobs");
            for (int i = 1; i < values.size(); i++) {
                logprobs += values.get(i).asDouble();
                predicted++;
            }
        }
        assertThat(cell.path("perplexity").asDouble()).isCloseTo(Math.exp(-logprobs / predicted),
                within(1e-9 * cell.path("perplexity").asDouble()));
        assertThat(cell.path("kl").asDouble()).isCloseTo(
                Double.parseDouble(group(score.out(), "KL\\(dropless \\|\\| policy\\)\\s+([0-9.]+)")), within(5e-7));
        Matcher agreement = Pattern.compile("top-1 agreement\\s+\\S+ \\(([0-9,]+) of ([0-9,]+) positions\\)")
                .matcher(score.out());
        assertThat(agreement.find()).as(score.out()).isTrue();
        assertThat(cell.path("top1Agreement").asDouble()).isEqualTo(
                Double.parseDouble(agreement.group(1).replace(",", "")) / Long.parseLong(agreement.group(2)
                        .replace(",", "")));
        assertThat(100 * cell.path("dropRate").asDouble()).isCloseTo(
                Double.parseDouble(group(score.out(), "(?m)^\\s+all\\s+\\d+\\s+([0-9.]+)%")), within(0.005));
    }

    /**
     * The speed-up is dropless's busiest-rank rows over the policy's, summed over every MoE layer's
     * step: recomputed here from the routing of the same steps under the score path.
     */
    @Test
    void theSpeedUpIsTheBusiestRankRowsOfDroplessOverThePolicys() throws IOException {
        JsonNode cell = report.path("rows").get(LABELS.indexOf("token-drop (score)")).get(0);
        List<int[]> sequences = TokensFile.read(out.resolve("sequences.jsonl"));
        try (DecoderEngine engine = DecoderEngine.load(model, new JavaBackend())) {
            Placement placement = Placement.contiguous(engine.config().moe().numExperts(), 4);
            long[] busiest = new long[2];
            List<RoutingConfig> configs = List.of(engine.defaultRouting(), RoutingSettings.apply(engine.defaultRouting(),
                    Map.of("policy", "token-drop", "capacity-factor", "1.0")));
            for (int m = 0; m < 2; m++) {
                int index = m;
                new Scorer(engine.model(configs.get(m), placement), null, Integer.parseInt(STEP_TOKENS), 0).score(
                        sequences, routing -> busiest[index] += routing.routing().stats().rankLoad().stream()
                                .mapToInt(Integer::intValue).max().orElseThrow(), (f, s, o) -> { });
            }
            assertThat(busiest[1]).isLessThan(busiest[0]);
            assertThat(cell.path("speedUp").asDouble()).isEqualTo((double) busiest[0] / busiest[1]);
            assertThat(cell.path("busiestRankRows").asLong()).isEqualTo(busiest[1]);
        }
    }

    /** Without options the table is the trained model's, on its held-out share, with one OpenBLAS thread. */
    @Test
    void theDefaultsAreTheTrainedModelsAndTheIssuesTable() {
        QualityCommand command = MoeCommand.commandLine().parseArgs("quality").subcommand().commandSpec()
                .commandLine().getCommand();

        assertThat(command.modelOptions.model).isEqualTo(TrainedModelPaths.dir());
        assertThat(command.modelOptions.model.endsWith(Path.of("models", "olmoe-corpus"))).isTrue();
        assertThat(command.heldOutShare).isEqualTo(0.05);
        assertThat(command.modelOptions.threads).isEqualTo(1);
        assertThat(command.capacityFactors).containsExactly(1.0, 1.25, 1.5, 2.0);
        assertThat(command.ranks).isEqualTo(4);
        assertThat(command.rows).isNull();
        assertThat(QualityRow.DEFAULT_ROWS.stream().map(row -> QualityRow.parse(row).label()).toList())
                .isEqualTo(LABELS);
    }

    @Test
    void badOptionsAreRefusedByName() {
        assertRefused("--capacity-factors must be positive numbers", "--capacity-factors", "1.0,0");
        assertRefused("row 'token-drop:metric=bogus': unknown metric 'bogus'", "--rows", "token-drop:metric=bogus");
        assertRefused("capacity-factor is not a row option", "--rows", "token-drop:capacity-factor=2");
        assertRefused("expected OPTION=VALUE", "--rows", "token-drop:metric");
        assertRefused("--rows needs a policy besides dropless", "--rows", "dropless");
        assertRefused("--ranks must be >= 1", "--ranks", "0");
        assertRefused("--sequence-length must be >= 2", "--sequence-length", "1");
        assertRefused("--sequences-per-domain must be >= 1", "--sequences-per-domain", "0");
        Moe noCorpus = Moe.run("quality", "--model", model.toString(), "--corpus", dir.resolve("nowhere").toString(),
                "--out", dir.resolve("unused").toString());
        assertThat(noCorpus.exitCode()).isEqualTo(ErrorReporter.USER_ERROR);
        assertThat(noCorpus.err()).contains(dir.resolve("nowhere") + ": no such file or directory");
        Moe noTokenizer = Moe.run("quality", "--model", WholeModelCommandsTest.FIXTURE.toString(), "--corpus",
                corpus.toString(), "--out", dir.resolve("unused").toString());
        assertThat(noTokenizer.exitCode()).isEqualTo(ErrorReporter.USER_ERROR);
        assertThat(noTokenizer.err()).contains("has no tokenizer.json");
    }

    private static void assertRefused(String message, String... options) {
        List<String> args = new ArrayList<>(List.of("quality", "--model", model.toString(), "--corpus",
                corpus.toString(), "--held-out", TestCorpus.HELD_OUT, "--out", dir.resolve("unused").toString()));
        args.addAll(List.of(options));
        Moe moe = Moe.run(args.toArray(String[]::new));
        assertThat(moe.exitCode()).as(moe.err()).isEqualTo(ErrorReporter.USER_ERROR);
        assertThat(moe.err()).contains(message);
    }

    private static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in%n%s", regex, text).isTrue();
        return m.group(1);
    }
}
