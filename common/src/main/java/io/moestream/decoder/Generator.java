package io.moestream.decoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Generation with a KV cache: one prefill step computes every prompt, then each decode step adds
 * one token to every sequence still running, as one batch. A sequence leaves the batch when it
 * emits a stop token, reaches its token budget, or fills the model's positions. The steps are a
 * {@link ContinuousBatch}'s, whose sequences all join at once: the dense worker's batches, which
 * sequences join at any step, compute the same way.
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
        ContinuousBatch<Integer> batch = new ContinuousBatch<>(model, sourceRank);
        int[][] generated = new int[n][maxNewTokens];
        double[][] logprobs = new double[n][maxNewTokens];
        int[] count = new int[n];
        Generation.FinishReason[] finish = new Generation.FinishReason[n];
        for (int i = 0; i < n; i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException("prompt " + i + " is empty");
            }
            batch.add(i, new ContinuousBatch.Request(prompts.get(i), sampling, i, maxNewTokens, stopTokens, 0, false));
        }
        long prefillNanos = 0;
        int prefillTokens = 0;
        int decodeSteps = -1;
        int decodeTokens = 0;
        long start = System.nanoTime();
        while (!batch.isEmpty()) {
            ContinuousBatch.Step<Integer> step = batch.step();
            step.routing().forEach(routing);
            if (decodeSteps < 0) {
                prefillNanos = System.nanoTime() - start;
                prefillTokens = step.prefillTokens();
            }
            decodeSteps++;
            decodeTokens += step.decodeTokens();
            for (ContinuousBatch.Event<Integer> event : step.events()) {
                int i = event.tag();
                generated[i][count[i]] = event.token();
                logprobs[i][count[i]++] = event.logprob();
                finish[i] = event.finish();
                listener.token(i, event.token());
            }
        }
        long decodeNanos = System.nanoTime() - start - prefillNanos;
        List<Generation> generations = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            generations.add(new Generation(prompts.get(i), Arrays.copyOf(generated[i], count[i]),
                    Arrays.copyOf(logprobs[i], count[i]), finish[i]));
        }
        return new Run(generations, prefillNanos, prefillTokens, decodeNanos, decodeSteps, decodeTokens);
    }
}
