package io.moestream.cli;

import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.decoder.LayerRouting;
import io.moestream.decoder.Scorer;
import io.moestream.decoder.SequenceScore;
import io.moestream.routing.ParallelStepTime;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The quality table's computation: every row at every capacity factor, and dropless once, scored
 * by {@link Scorer} over the same steps of the same held-out sequences against dropless, as
 * {@code moe score --compare dropless} scores one of them.
 */
final class QualityRun {

    private QualityRun() {
    }

    /**
     * One row at one capacity factor.
     *
     * @param capacityFactor {@code null} for dropless, which has none
     * @param totals the scores over every sequence, against dropless
     * @param layers the routing of every MoE layer's steps
     * @param stepTime the same steps' modelled time on the placement's ranks
     * @param domains the scores per domain, in the held-out set's order
     */
    record Cell(QualityRow row, Double capacityFactor, ScoreTotals totals, LayerTable layers, ParallelStepTime stepTime,
                Map<String, ScoreTotals> domains) {

        double dropRate() {
            return layers.total().dropRate();
        }

        /** How many times shorter than dropless's the steps are, modelled as {@code moe bench} does. */
        double speedUpOver(Cell dropless) {
            return stepTime.speedUpOver(dropless.stepTime);
        }
    }

    /**
     * @param dropless the reference row, also every cell's reference
     * @param cells per row (dropless excluded), one per capacity factor in order
     */
    record Table(Cell dropless, Map<QualityRow, List<Cell>> cells) {
    }

    /**
     * @param rows the rows besides dropless, which runs in any case
     * @param progress gets a line per step
     */
    static Table run(DecoderEngine engine, List<QualityRow> rows, List<Double> capacityFactors, Placement placement,
                     List<HeldOutSequences.Scored> sequences, int stepTokens, int sourceRank, PrintWriter progress) {
        int experts = engine.config().moe().numExperts();
        RoutingConfig base = engine.defaultRouting();
        QualityRow droplessRow = QualityRow.parse(QualityRow.DROPLESS);
        DecoderModel reference = engine.model(droplessRow.config(base, null), placement);
        List<DecoderModel> models = new ArrayList<>(List.of(reference));
        List<Recorder> recorders = new ArrayList<>(List.of(new Recorder(experts)));
        for (QualityRow row : rows) {
            for (Double factor : capacityFactors) {
                models.add(engine.model(row.config(base, factor), placement));
                recorders.add(new Recorder(experts));
            }
        }
        List<int[]> tokens = sequences.stream().map(HeldOutSequences.Scored::tokens).toList();
        List<List<SequenceScore>> scores;
        try {
            scores = new Scorer(models, reference, stepTokens, sourceRank).scoreEach(tokens, recorders,
                    (first, step, output) -> {
                        progress.printf(Locale.ROOT, "  sequences %d-%d of %d scored under %d configurations%n",
                                first + 1, first + step.size(), tokens.size(), models.size());
                        progress.flush();
                    });
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Cell dropless = cell(droplessRow, null, scores.get(0), recorders.get(0), sequences);
        Map<QualityRow, List<Cell>> cells = new LinkedHashMap<>();
        int m = 1;
        for (QualityRow row : rows) {
            List<Cell> rowCells = new ArrayList<>();
            for (Double factor : capacityFactors) {
                rowCells.add(cell(row, factor, scores.get(m), recorders.get(m), sequences));
                m++;
            }
            cells.put(row, rowCells);
        }
        return new Table(dropless, cells);
    }

    private static Cell cell(QualityRow row, Double capacityFactor, List<SequenceScore> scores, Recorder recorder,
                             List<HeldOutSequences.Scored> sequences) {
        Map<String, List<SequenceScore>> byDomain = new LinkedHashMap<>();
        for (int i = 0; i < scores.size(); i++) {
            byDomain.computeIfAbsent(sequences.get(i).domain(), d -> new ArrayList<>()).add(scores.get(i));
        }
        Map<String, ScoreTotals> domains = new LinkedHashMap<>();
        byDomain.forEach((domain, domainScores) -> domains.put(domain, ScoreTotals.of(domainScores)));
        return new Cell(row, capacityFactor, ScoreTotals.of(scores), recorder.layers, recorder.stepTime, domains);
    }

    /** One configuration's routing: per-layer figures, and each layer's step on the busiest rank. */
    private static final class Recorder implements Consumer<LayerRouting> {
        private final LayerTable layers;
        private final ParallelStepTime stepTime = new ParallelStepTime();

        Recorder(int experts) {
            layers = new LayerTable(experts);
        }

        @Override
        public void accept(LayerRouting routing) {
            layers.accept(routing);
            stepTime.add(routing.routing().stats().rankLoad());
        }
    }
}
