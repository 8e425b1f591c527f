package io.moestream.decoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Generation with a KV cache: one prefill step computes every prompt, then each decode step adds
 * one token to every sequence still running, as one batch. A sequence leaves the batch when it
 * emits a stop token, reaches its token budget, or fills the model's positions.
 */
public final class Generator {

    private final DecoderModel model;
    private final Sampling sampling;
    private final int maxNewTokens;
    private final Set<Integer> stopTokens;
    private final int sourceRank;

    public Generator(DecoderModel model, Sampling sampling, int maxNewTokens, Set<Integer> stopTokens, int sourceRank) {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
        }
        this.model = model;
        this.sampling = sampling;
        this.maxNewTokens = maxNewTokens;
        this.stopTokens = Set.copyOf(stopTokens);
        this.sourceRank = sourceRank;
    }

    /** Receives each token as it is chosen: {@code sequence} indexes the prompts. */
    @FunctionalInterface
    public interface TokenListener {
        void token(int sequence, int token);
    }

    /**
     * Time spent and tokens computed, split as the two phases differ: prefill is compute-bound,
     * decode reads every weight for a handful of tokens.
     */
    public record Run(List<Generation> generations, long prefillNanos, int prefillTokens, long decodeNanos,
                      int decodeSteps, int decodeTokens) {
    }

    public Run generate(List<int[]> prompts, TokenListener listener, Consumer<LayerRouting> routing) {
        int n = prompts.size();
        List<Sequence> sequences = new ArrayList<>();
        List<Chunk> prefill = new ArrayList<>();
        int prefillTokens = 0;
        for (int i = 0; i < n; i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException("prompt " + i + " is empty");
            }
            Sequence sequence = model.newSequence();
            sequences.add(sequence);
            prefill.add(new Chunk(sequence, prompts.get(i)));
            prefillTokens += prompts.get(i).length;
        }
        SplittableRandom[] random = new SplittableRandom[n];
        int[][] generated = new int[n][maxNewTokens];
        double[][] logprobs = new double[n][maxNewTokens];
        int[] count = new int[n];
        Generation.FinishReason[] finish = new Generation.FinishReason[n];
        for (int i = 0; i < n; i++) {
            random[i] = sampling.random(i);
        }
        long start = System.nanoTime();
        StepOutput out = model.step(prefill, sourceRank, LogitRows.LAST);
        long prefillNanos = System.nanoTime() - start;
        out.routing().forEach(routing);
        int[] running = new int[n];
        for (int i = 0; i < n; i++) {
            running[i] = i;
        }
        int active = n;
        int decodeSteps = 0;
        int decodeTokens = 0;
        long decodeStart = System.nanoTime();
        while (true) {
            int still = 0;
            for (int r = 0; r < active; r++) {
                int i = running[r];
                int token = sampling.choose(out.logits(), r * out.vocab(), out.vocab(), random[i]);
                generated[i][count[i]] = token;
                logprobs[i][count[i]] = LogSoftmax.of(out.logits(), r * out.vocab(), out.vocab())[token];
                count[i]++;
                listener.token(i, token);
                if (stopTokens.contains(token)) {
                    finish[i] = Generation.FinishReason.STOP;
                } else if (count[i] == maxNewTokens || sequences.get(i).length() + 1 > model.config().maxPositionEmbeddings()) {
                    finish[i] = Generation.FinishReason.LENGTH;
                } else {
                    running[still++] = i;
                }
            }
            active = still;
            if (active == 0) {
                break;
            }
            List<Chunk> decode = new ArrayList<>();
            for (int r = 0; r < active; r++) {
                int i = running[r];
                decode.add(new Chunk(sequences.get(i), new int[] {generated[i][count[i] - 1]}));
            }
            out = model.step(decode, sourceRank, LogitRows.LAST);
            out.routing().forEach(routing);
            decodeSteps++;
            decodeTokens += active;
        }
        long decodeNanos = System.nanoTime() - decodeStart;
        List<Generation> generations = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            generations.add(new Generation(prompts.get(i), Arrays.copyOf(generated[i], count[i]),
                    Arrays.copyOf(logprobs[i], count[i]), finish[i]));
        }
        return new Run(generations, prefillNanos, prefillTokens, decodeNanos, decodeSteps, decodeTokens);
    }
}
