package io.moestream.decoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Log-likelihoods of whole sequences under a model, optionally beside a reference model (the same
 * weights under dropless routing) to measure what the policy costs. Each sequence is one step per
 * layer, or, with {@code stepTokens > 0}, consecutive sequences are packed into steps of up to that
 * many tokens, so that capacity applies across them as it would across a served batch. Several
 * models can be scored over the same steps at once ({@link #scoreEach}): the reference then runs
 * once a step for all of them.
 */
public final class Scorer {

    private final List<DecoderModel> models;
    private final DecoderModel reference;
    private final int stepTokens;
    private final int sourceRank;

    /**
     * @param reference the model to compare with, or {@code null}
     * @param stepTokens the most tokens a step packs, or 0 for one sequence a step
     */
    public Scorer(DecoderModel model, DecoderModel reference, int stepTokens, int sourceRank) {
        this(List.of(model), reference, stepTokens, sourceRank);
    }

    /**
     * Several models over the same steps; a model that is the reference itself is not run twice.
     *
     * @param reference the model to compare each with, or {@code null}
     * @param stepTokens the most tokens a step packs, or 0 for one sequence a step
     */
    public Scorer(List<DecoderModel> models, DecoderModel reference, int stepTokens, int sourceRank) {
        if (stepTokens < 0) {
            throw new IllegalArgumentException("step tokens must be >= 0, got " + stepTokens);
        }
        if (models.isEmpty()) {
            throw new IllegalArgumentException("nothing to score: no model");
        }
        this.models = List.copyOf(models);
        this.reference = reference;
        this.stepTokens = stepTokens;
        this.sourceRank = sourceRank;
    }

    /**
     * Scores {@code sequences} in order under the one model.
     *
     * @param routing receives each MoE layer's routing of every step of the model
     * @param logits receives each step's logits of the model, with the sequences it holds
     * @throws IllegalStateException when this scorer has several models: {@link #scoreEach} scores them
     */
    public List<SequenceScore> score(List<int[]> sequences, Consumer<LayerRouting> routing,
                                     StepLogitsListener logits) {
        if (models.size() != 1) {
            throw new IllegalStateException("score takes one model, this scorer has " + models.size()
                    + ": use scoreEach");
        }
        return scoreSteps(sequences, List.of(routing), logits).get(0);
    }

    /**
     * Scores {@code sequences} in order under each model, step by step: every model runs a step
     * before the next step starts, so the reference's output of the step serves them all.
     *
     * @param routing one per model, in order: receives each MoE layer's routing of every step of that model
     * @param firstModelLogits receives each step's logits of the first model, with the sequences it holds
     * @return one list per model, in order
     */
    public List<List<SequenceScore>> scoreEach(List<int[]> sequences,
                                               List<? extends Consumer<LayerRouting>> routing,
                                               StepLogitsListener firstModelLogits) {
        if (routing.size() != models.size()) {
            throw new IllegalArgumentException(models.size() + " models but " + routing.size()
                    + " routing listeners");
        }
        return scoreSteps(sequences, routing, firstModelLogits);
    }

    private List<List<SequenceScore>> scoreSteps(List<int[]> sequences, List<? extends Consumer<LayerRouting>> routing,
                                                StepLogitsListener firstModelLogits) {
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i).length == 0) {
                throw new IllegalArgumentException("sequence " + i + " is empty");
            }
        }
        List<List<SequenceScore>> scores = new ArrayList<>();
        models.forEach(m -> scores.add(new ArrayList<>()));
        int next = 0;
        while (next < sequences.size()) {
            int end = packEnd(sequences, next);
            List<int[]> step = sequences.subList(next, end);
            StepOutput refOutput = reference == null ? null : run(reference, step);
            // With several models, each row's reference distribution serves them all: it is kept, not redone.
            ReferenceRows ref = refOutput == null ? null : new ReferenceRows(refOutput, models.size() > 1);
            for (int m = 0; m < models.size(); m++) {
                StepOutput out = models.get(m) == reference ? refOutput : run(models.get(m), step);
                out.routing().forEach(routing.get(m));
                if (m == 0) {
                    firstModelLogits.accept(next, step, out);
                }
                int row = 0;
                for (int[] tokens : step) {
                    scores.get(m).add(score(tokens, out, ref, row));
                    row += tokens.length;
                }
            }
            next = end;
        }
        return scores;
    }

    /** Receives the logits of a step: sequences {@code first ..} of the call, their rows in order. */
    @FunctionalInterface
    public interface StepLogitsListener {
        void accept(int first, List<int[]> sequences, StepOutput output);
    }

    private int packEnd(List<int[]> sequences, int from) {
        int end = from + 1;
        if (stepTokens == 0) {
            return end;
        }
        int tokens = sequences.get(from).length;
        while (end < sequences.size() && tokens + sequences.get(end).length <= stepTokens) {
            tokens += sequences.get(end++).length;
        }
        return end;
    }

    private StepOutput run(DecoderModel m, List<int[]> step) {
        List<Chunk> chunks = new ArrayList<>();
        for (int[] tokens : step) {
            chunks.add(new Chunk(m.newSequence(), tokens));
        }
        return m.step(chunks, sourceRank, LogitRows.ALL);
    }

    private static SequenceScore score(int[] tokens, StepOutput out, ReferenceRows ref, int firstRow) {
        int vocab = out.vocab();
        double[] logprobs = new double[tokens.length];
        double[] refLogprobs = ref == null ? null : new double[tokens.length];
        logprobs[0] = Double.NaN;
        double kl = 0;
        int agree = 0;
        for (int i = 1; i < tokens.length; i++) {
            int row = firstRow + i - 1;
            double[] logP = LogSoftmax.of(out.logits(), row * vocab, vocab);
            logprobs[i] = logP[tokens[i]];
            if (ref != null) {
                double[] logQ = ref.logSoftmax(row);
                refLogprobs[i] = logQ[tokens[i]];
                kl += LogSoftmax.klDivergence(logQ, logP);
                if (LogSoftmax.argmax(out.logits(), row * vocab, vocab) == ref.argmax(row)) {
                    agree++;
                }
            }
        }
        if (ref != null) {
            refLogprobs[0] = Double.NaN;
        }
        return new SequenceScore(tokens, logprobs, ref == null ? null : new SequenceScore.Comparison(refLogprobs, kl, agree));
    }

    /** The reference's output of one step and, row by row, its log-softmax and argmax, kept when asked to. */
    private static final class ReferenceRows {
        private final StepOutput output;
        private final double[][] logSoftmax;
        private final int[] argmax;

        ReferenceRows(StepOutput output, boolean keep) {
            this.output = output;
            this.logSoftmax = keep ? new double[output.rows()][] : null;
            this.argmax = keep ? new int[output.rows()] : null;
            if (keep) {
                Arrays.fill(argmax, -1);
            }
        }

        double[] logSoftmax(int row) {
            if (logSoftmax == null) {
                return LogSoftmax.of(output.logits(), row * output.vocab(), output.vocab());
            }
            if (logSoftmax[row] == null) {
                logSoftmax[row] = LogSoftmax.of(output.logits(), row * output.vocab(), output.vocab());
            }
            return logSoftmax[row];
        }

        int argmax(int row) {
            if (argmax == null) {
                return LogSoftmax.argmax(output.logits(), row * output.vocab(), output.vocab());
            }
            if (argmax[row] < 0) {
                argmax[row] = LogSoftmax.argmax(output.logits(), row * output.vocab(), output.vocab());
            }
            return argmax[row];
        }
    }
}
