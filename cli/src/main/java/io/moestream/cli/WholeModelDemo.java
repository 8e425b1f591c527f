package io.moestream.cli;

import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.Generation;
import io.moestream.decoder.Generator;
import io.moestream.decoder.Sampling;
import io.moestream.kernels.DecoderBackends;
import io.moestream.kernels.KernelBackend;
import io.moestream.model.CheckpointException;
import io.moestream.routing.Placement;
import io.moestream.text.ModelTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's whole-model part, in process: the text the model generates under each policy from the
 * opening of each domain's held-out text, what each policy costs on held-out text of every domain
 * ({@link QualityRun} at the demo's capacity factor), and the same for a burst of one domain alone,
 * whose experts run hotter than under the mix.
 */
final class WholeModelDemo {

    /** Tokens of each domain's held-out text that prompt the generation. */
    static final int PROMPT_TOKENS = 16;
    /** The longest held-out sequence scored; the model's positions may make it shorter. */
    static final int SEQUENCE_LENGTH = 256;
    /** Tokens per routing step of the scored sequences, as a served batch. */
    static final int STEP_TOKENS = 1024;

    /** What one prompt generated under each policy. */
    record Prompted(String domain, String prompt, Map<String, Continuation> byPolicy) {
    }

    /**
     * @param firstDifference the first generated token that differs from dropless's, or -1 when none does
     */
    record Continuation(String text, int[] tokens, int firstDifference) {
    }

    /**
     * @param newTokens the most tokens generated per prompt: the one asked for, or fewer where the model's
     *        positions end sooner
     * @param mixedSequences the held-out sequences of every domain that {@code mixed} scores, dealt round-robin
     * @param mixed their scores, in steps
     * @param heldOutText where the held-out text came from
     * @param burst the burst domain's sequences alone
     */
    record Result(int sequenceLength, int newTokens, List<Prompted> texts, List<HeldOutSequences.Scored> mixedSequences,
                  QualityRun.Table mixed, String heldOutText, HeldOutSequences heldOut, String burstDomain,
                  QualityRun.Table burst) {

        /** The prompts of {@link #texts()}, as token ids. */
        List<int[]> prompts() {
            return WholeModelDemo.prompts(heldOut);
        }

        /** The cell of {@code mixed} of one policy by spec name. */
        QualityRun.Cell mixedCell(String policy) {
            return policy.equals(QualityRow.DROPLESS) ? mixed.dropless()
                    : mixed.cells().get(QualityRow.parse(policy)).get(0);
        }
    }

    private WholeModelDemo() {
    }

    /**
     * @param policies by spec name, dropless first
     * @param sequencesPerDomain held-out sequences per domain for the quality cost; the burst takes twice as many
     */
    static Result run(Path modelDir, HeldOutText text, List<String> policies, double capacityFactor, int ranks,
                      int newTokens, int sequencesPerDomain, String burstDomain, PrintWriter progress) {
        List<QualityRow> rows = policies.stream().skip(1).map(QualityRow::parse).toList();
        ModelTokenizer tokenizer;
        try {
            tokenizer = ModelTokenizer.load(modelDir).orElseThrow(() -> new UserError(modelDir + " has no "
                    + ModelTokenizer.FILE + ": the demo's whole-model part needs the model's tokenizer"));
        } catch (CheckpointException e) {
            throw new UserError(e.getMessage());
        }
        try (tokenizer; DecoderEngine engine = load(modelDir)) {
            int eos = engine.config().eosTokenIds().stream().findFirst().orElse(-1);
            int length = Math.min(SEQUENCE_LENGTH, engine.config().maxPositionEmbeddings());
            HeldOutSequences heldOut = HeldOutSequences.of(text.split(), tokenizer, eos, length,
                    2 * sequencesPerDomain);
            Placement placement = Placement.contiguous(engine.config().moe().numExperts(), ranks);
            progress.printf("moe demo: the whole model in process, text under each policy...%n");
            progress.flush();
            int budget = Math.min(newTokens, engine.config().maxPositionEmbeddings() - PROMPT_TOKENS);
            List<Prompted> texts = generate(engine, tokenizer, heldOut, policies, capacityFactor, placement, budget);
            progress.printf("moe demo: the whole model in process, held-out text of every domain...%n");
            progress.flush();
            List<HeldOutSequences.Scored> mixedSequences = new HeldOutSequences(heldOut.domains().stream()
                    .map(d -> new HeldOutSequences.Domain(d.name(), d.heldOut(),
                            d.sequences().subList(0, Math.min(sequencesPerDomain, d.sequences().size()))))
                    .toList()).interleaved();
            QualityRun.Table mixed = QualityRun.run(engine, rows, List.of(capacityFactor), placement,
                    mixedSequences, STEP_TOKENS, 0, progress);
            progress.printf("moe demo: the whole model in process, a burst of %s alone...%n", burstDomain);
            progress.flush();
            QualityRun.Table burst = QualityRun.run(engine, rows, List.of(capacityFactor), placement,
                    heldOut.only(burstDomain), STEP_TOKENS, 0, progress);
            return new Result(length, budget, texts, mixedSequences, mixed, text.source(), heldOut, burstDomain,
                    burst);
        }
    }

    /** One OpenBLAS thread, as {@code moe quality} runs: for small matrices two cost more than they gain. */
    private static DecoderEngine load(Path modelDir) {
        try {
            return DecoderEngine.load(modelDir, DecoderBackends.create(KernelBackend.AUTO, 1).backend());
        } catch (CheckpointException | IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** The first {@link #PROMPT_TOKENS} tokens of each domain's held-out text. */
    static List<int[]> prompts(HeldOutSequences heldOut) {
        return heldOut.domains().stream()
                .map(d -> Arrays.copyOf(d.heldOut(), Math.min(PROMPT_TOKENS, d.heldOut().length))).toList();
    }

    /** Greedy continuations of each domain's opening, all prompts in one batch, under each policy. */
    private static List<Prompted> generate(DecoderEngine engine, ModelTokenizer tokenizer, HeldOutSequences heldOut,
                                           List<String> policies, double capacityFactor, Placement placement,
                                           int newTokens) {
        List<int[]> prompts = prompts(heldOut);
        List<Map<String, Continuation>> byPrompt = new ArrayList<>();
        prompts.forEach(p -> byPrompt.add(new LinkedHashMap<>()));
        List<Generation> dropless = null;
        for (String policy : policies) {
            QualityRow row = QualityRow.parse(policy);
            Generator generator = new Generator(engine.model(row.config(engine.defaultRouting(), capacityFactor),
                    placement), new Sampling(0, 1, 0), newTokens, engine.config().eosTokenIds(), 0);
            List<Generation> generations = generator.generate(prompts, (sequence, token) -> { }, routing -> { })
                    .generations();
            if (dropless == null) {
                dropless = generations;
            }
            for (int p = 0; p < prompts.size(); p++) {
                int[] tokens = generations.get(p).tokens();
                int mismatch = Arrays.mismatch(tokens, dropless.get(p).tokens());
                byPrompt.get(p).put(policy, new Continuation(tokenizer.decode(tokens), tokens, mismatch));
            }
        }
        List<Prompted> texts = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            texts.add(new Prompted(heldOut.domains().get(p).name(), tokenizer.decode(prompts.get(p)),
                    byPrompt.get(p)));
        }
        return texts;
    }
}
