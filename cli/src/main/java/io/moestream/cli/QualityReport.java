package io.moestream.cli;

import io.moestream.model.DecoderConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The quality table as markdown (one table per figure) and as report.json, and the chart's lines. */
final class QualityReport {

    /** What was scored, how, and on what. */
    record Setup(String model, DecoderConfig config, String heldOutText, double heldOutShare, int sequenceLength,
                 int stepTokens, int ranks, String backend, double seconds) {
    }

    /** One figure of a cell: its name in report.json, its table's title, and how it is read and printed. */
    private record Figure(String name, String title, ToDoubleFunction<Figures> value, String format) {
    }

    /** A cell's figures, dropless's included, as the tables and report.json give them. */
    record Figures(String row, String label, Double capacityFactor, double perplexity, double kl, double top1Agreement,
                   double dropRate, double speedUp, long busiestRankRows, Map<String, Double> domainPerplexity) {

        static Figures of(QualityRun.Cell cell, QualityRun.Cell dropless, Double column) {
            Map<String, Double> domains = new LinkedHashMap<>();
            cell.domains().forEach((domain, totals) -> domains.put(domain, totals.perplexity()));
            return new Figures(cell.row().spec(), cell.row().label(), column, cell.totals().perplexity(),
                    cell.totals().kl(), cell.totals().top1Agreement(), cell.dropRate(), cell.speedUpOver(dropless),
                    cell.stepTime().busiestRankRows(), domains);
        }
    }

    private static final List<Figure> FIGURES = List.of(
            new Figure("perplexity", "Held-out perplexity", Figures::perplexity, "%.2f"),
            new Figure("kl", "KL(dropless || policy), nats per predicted token", Figures::kl, "%.4f"),
            new Figure("top1Agreement", "Top-1 agreement with dropless", f -> 100 * f.top1Agreement(), "%.1f%%"),
            new Figure("dropRate", "Drop rate: top-k slots dropped, all MoE layers", f -> 100 * f.dropRate(), "%.1f%%"),
            new Figure("speedUp", "Modelled speed-up over dropless: busiest rank's rows, summed over MoE layers and"
                    + " steps", Figures::speedUp, "%.2fx"));

    private final Setup setup;
    private final HeldOutSequences heldOut;
    private final List<Double> capacityFactors;
    private final QualityRun.Cell dropless;
    /** Per row, dropless first, one per capacity factor. */
    private final Map<String, List<Figures>> rows = new LinkedHashMap<>();

    QualityReport(Setup setup, HeldOutSequences heldOut, List<Double> capacityFactors, QualityRun.Table table) {
        this.setup = setup;
        this.heldOut = heldOut;
        this.capacityFactors = List.copyOf(capacityFactors);
        this.dropless = table.dropless();
        // Dropless has no capacity: the same cell stands in every column.
        rows.put(dropless.row().label(), capacityFactors.stream().map(f -> Figures.of(dropless, dropless, f)).toList());
        table.cells().forEach((row, cells) -> rows.put(row.label(),
                cells.stream().map(c -> Figures.of(c, dropless, c.capacityFactor())).toList()));
    }

    int ranks() {
        return setup.ranks();
    }

    List<Double> capacityFactors() {
        return capacityFactors;
    }

    /** Per row label, dropless first, its figures at each capacity factor. */
    Map<String, List<Figures>> rows() {
        return rows;
    }

    String title() {
        DecoderConfig c = setup.config();
        return String.format(Locale.ROOT, "%s (%s, %d layers, %d experts, top-%d, hidden %d)", setup.model(),
                c.moe().modelType(), c.numHiddenLayers(), c.moe().numExperts(), c.moe().topK(), c.hiddenSize());
    }

    void printMarkdown(PrintWriter out) {
        int sequences = heldOut.domains().stream().mapToInt(d -> d.sequences().size()).sum();
        out.printf(Locale.ROOT, "## moe quality: %s%n%n", title());
        out.printf(Locale.ROOT, "Text: the %s: %d sequences of up to %d"
                        + " tokens, %,d predicted tokens, in steps of up to %d tokens; experts on %d ranks (contiguous);"
                        + " backend %s; %.0f s.%n", setup.heldOutText(), sequences,
                setup.sequenceLength(), dropless.totals().predicted(), setup.stepTokens(), setup.ranks(),
                setup.backend(), setup.seconds());
        for (Figure figure : FIGURES) {
            out.printf("%n### %s%n%n", figure.title());
            StringBuilder header = new StringBuilder("| policy |");
            StringBuilder rule = new StringBuilder("|---|");
            for (Double factor : capacityFactors) {
                header.append(" CF ").append(factor).append(" |");
                rule.append("---:|");
            }
            out.println(header);
            out.println(rule);
            rows.forEach((label, cells) -> {
                StringBuilder line = new StringBuilder("| ").append(label).append(" |");
                for (Figures cell : cells) {
                    line.append(' ').append(String.format(Locale.ROOT, figure.format(), figure.value()
                            .applyAsDouble(cell))).append(" |");
                }
                out.println(line);
            });
        }
        out.printf("%n### Held-out perplexity per domain, dropless%n%n");
        out.println("| domain | held-out tokens | scored sequences | predicted tokens | perplexity |");
        out.println("|---|---:|---:|---:|---:|");
        for (HeldOutSequences.Domain domain : heldOut.domains()) {
            ScoreTotals totals = dropless.domains().get(domain.name());
            out.printf(Locale.ROOT, "| %s | %,d | %d | %,d | %.2f |%n", domain.name(), domain.heldOutTokens(),
                    domain.sequences().size(), totals.predicted(), totals.perplexity());
        }
        out.flush();
    }

    /** report.json: the setup, the held-out set, and every row's figures at every capacity factor. */
    Map<String, Object> json() {
        DecoderConfig c = setup.config();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", setup.model());
        json.put("modelType", c.moe().modelType());
        json.put("layers", c.numHiddenLayers());
        json.put("experts", c.moe().numExperts());
        json.put("topK", c.moe().topK());
        json.put("heldOutText", setup.heldOutText());
        json.put("heldOutShare", setup.heldOutShare());
        json.put("sequenceLength", setup.sequenceLength());
        json.put("stepTokens", setup.stepTokens());
        json.put("ranks", setup.ranks());
        json.put("backend", setup.backend());
        json.put("seconds", setup.seconds());
        json.put("capacityFactors", capacityFactors);
        List<Map<String, Object>> domains = new ArrayList<>();
        for (HeldOutSequences.Domain domain : heldOut.domains()) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("name", domain.name());
            d.put("heldOutTokens", domain.heldOutTokens());
            d.put("sequences", domain.sequences().size());
            d.put("predictedTokens", dropless.domains().get(domain.name()).predicted());
            d.put("droplessPerplexity", dropless.domains().get(domain.name()).perplexity());
            domains.add(d);
        }
        json.put("domains", domains);
        json.put("rows", rows.values());
        return json;
    }
}
