package io.moestream.decoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Continuous batching over one {@link DecoderModel}: a sequence joins the running batch at any step
 * (its whole prompt is the step's prefill chunk) and leaves it at any step (a stop token, its token
 * budget, the model's positions, or {@link #remove}). Each {@link #step} is one routing step of every
 * MoE layer over all the chunks it holds: the new prompts and one token of each running sequence.
 * Not thread-safe.
 *
 * @param <T> what the caller tags its sequences with (a request id, an index)
 */
public final class ContinuousBatch<T> {

    /**
     * What one sequence asks for.
     *
     * @param streamIndex which of {@code sampling}'s random streams it draws from ({@link Sampling#seed})
     * @param maxNewTokens its token budget; 0 computes the prompt only (scoring with {@code echo})
     * @param topLogprobs how many most likely tokens each position reports besides the chosen one
     * @param promptLogprobs whether its prefill reports each prompt token's log-probability
     * @param resumedTokens how many of the prompt's last tokens the sequence generated itself before (it is
     *        computed again from its tokens after a takeover): they count against {@code maxNewTokens}, and
     *        sampling goes on past their draws
     */
    public record Request(int[] prompt, Sampling sampling, int streamIndex, int maxNewTokens, Set<Integer> stopTokens,
                          int topLogprobs, boolean promptLogprobs, int resumedTokens) {

        public Request {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("the prompt is empty");
            }
            if (maxNewTokens < 0 || topLogprobs < 0) {
                throw new IllegalArgumentException("max new tokens and top log-probs must be >= 0, got "
                        + maxNewTokens + " and " + topLogprobs);
            }
            if (resumedTokens < 0 || resumedTokens >= prompt.length || resumedTokens > 0 && resumedTokens >= maxNewTokens) {
                throw new IllegalArgumentException("resumed tokens must be fewer than the prompt's " + prompt.length
                        + " and the budget's " + maxNewTokens + " tokens, got " + resumedTokens);
            }
            stopTokens = Set.copyOf(stopTokens);
        }

        /** A sequence nothing has generated for yet. */
        public Request(int[] prompt, Sampling sampling, int streamIndex, int maxNewTokens, Set<Integer> stopTokens,
                       int topLogprobs, boolean promptLogprobs) {
            this(prompt, sampling, streamIndex, maxNewTokens, stopTokens, topLogprobs, promptLogprobs, 0);
        }

        /** This request after it generated {@code generated} (its budget not spent, no stop token among them). */
        public Request resume(int[] generated) {
            int[] tokens = Arrays.copyOf(prompt, prompt.length + generated.length);
            System.arraycopy(generated, 0, tokens, prompt.length, generated.length);
            return new Request(tokens, sampling, streamIndex, maxNewTokens, stopTokens, topLogprobs, promptLogprobs,
                    resumedTokens + generated.length);
        }
    }

    /** One of a position's most likely tokens. */
    public record TopToken(int token, double logprob) {
    }

    /**
     * What a step did for one sequence.
     *
     * @param firstRow the sequence's first token's row in the step (its routing's token index)
     * @param rows how many tokens of the sequence the step computed: its prompt, or 1
     * @param token the token chosen, or -1 when none was (a budget of 0)
     * @param logprob its log-probability under the model, before temperature
     * @param top the position's {@code topLogprobs} most likely tokens, most likely first
     * @param prompt at the sequence's prefill when asked for: log-probabilities of prompt tokens
     *        {@code 1..n-1} (the first has none) and each position's most likely tokens; else {@code null}
     * @param finish why the sequence left the batch at this step, or {@code null} while it runs
     */
    public record Event<T>(T tag, int firstRow, int rows, int token, double logprob, List<TopToken> top, PromptLogprobs prompt,
                           Generation.FinishReason finish) {
    }

    /** Log-probabilities of a prompt's tokens, position 0 without one (NaN, no top tokens). */
    public record PromptLogprobs(double[] logprobs, List<List<TopToken>> top) {
    }

    /**
     * One step's outcome.
     *
     * @param prefillTokens prompt tokens the step computed
     * @param decodeTokens running sequences' tokens the step computed
     */
    public record Step<T>(List<Event<T>> events, List<LayerRouting> routing, int prefillTokens, int decodeTokens) {
    }

    private final class Running {
        final T tag;
        final Request request;
        final Sequence sequence;
        final SplittableRandom random;
        int generated;
        int last = -1;

        Running(T tag, Request request) {
            this.tag = tag;
            this.request = request;
            this.sequence = model.newSequence();
            this.random = request.sampling().random(request.streamIndex(), request.resumedTokens());
            this.generated = request.resumedTokens();
        }
    }

    private DecoderModel model;
    private final int sourceRank;
    private final Map<T, Running> waiting = new LinkedHashMap<>();
    private final Map<T, Running> running = new LinkedHashMap<>();

    public ContinuousBatch(DecoderModel model, int sourceRank) {
        this.model = model;
        this.sourceRank = sourceRank;
    }

    public DecoderModel model() {
        return model;
    }

    /**
     * Runs the next steps under {@code next}, the same loaded model under other routing (a policy switched
     * live): sequences keep their caches, which do not depend on routing.
     *
     * @throws IllegalArgumentException when {@code next} is another model
     */
    public void use(DecoderModel next) {
        if (!next.sameWeights(model)) {
            throw new IllegalArgumentException("a batch can only switch the routing of its model, not the model");
        }
        model = next;
    }

    /**
     * Adds a sequence; it joins the batch at the next step.
     *
     * @throws IllegalArgumentException when the tag is already in the batch, or the prompt does not fit
     *         the model's positions
     */
    public void add(T tag, Request request) {
        if (waiting.containsKey(tag) || running.containsKey(tag)) {
            throw new IllegalArgumentException("sequence " + tag + " is already in the batch");
        }
        if (request.prompt().length > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("the prompt has " + request.prompt().length
                    + " tokens, more than max_position_embeddings " + model.config().maxPositionEmbeddings());
        }
        waiting.put(tag, new Running(tag, request));
    }

    /** Takes a sequence out of the batch, whether it has joined yet or not; false when it is not there. */
    public boolean remove(T tag) {
        return waiting.remove(tag) != null | running.remove(tag) != null;
    }

    public boolean isEmpty() {
        return waiting.isEmpty() && running.isEmpty();
    }

    /** Sequences in the batch, joined or waiting to. */
    public int size() {
        return waiting.size() + running.size();
    }

    /**
     * Runs one step: every waiting prompt and the last token of every running sequence. When the
     * model's step throws, the batch is as before and the step may be run again.
     *
     * @throws IllegalStateException when the batch is empty
     */
    public Step<T> step() {
        if (isEmpty()) {
            throw new IllegalStateException("the batch is empty");
        }
        List<Running> members = new ArrayList<>(running.values());
        int decodeTokens = members.size();
        int prefillTokens = 0;
        boolean allRows = false;
        for (Running joining : waiting.values()) {
            members.add(joining);
            prefillTokens += joining.request.prompt().length;
            allRows |= joining.request.promptLogprobs();
        }
        Set<Running> prefill = Collections.newSetFromMap(new IdentityHashMap<>());
        prefill.addAll(waiting.values());
        List<Chunk> chunks = new ArrayList<>(members.size());
        for (Running member : members) {
            chunks.add(new Chunk(member.sequence, prefill.contains(member) ? member.request.prompt()
                    : new int[] {member.last}));
        }
        // A step that throws (experts that did not answer) has advanced no sequence: the same step can run again.
        StepOutput out = model.step(chunks, sourceRank, allRows ? LogitRows.ALL : LogitRows.LAST);
        running.putAll(waiting);
        waiting.clear();
        List<Event<T>> events = new ArrayList<>(members.size());
        int firstRow = 0;
        for (Running member : members) {
            int length = chunks.get(events.size()).tokens().length;
            int lastRow = allRows ? firstRow + length - 1 : events.size();
            PromptLogprobs prompt = prefill.contains(member) && member.request.promptLogprobs()
                    ? promptLogprobs(member.request, out, firstRow) : null;
            events.add(next(member, out, firstRow, length, lastRow, prompt));
            firstRow += length;
        }
        return new Step<>(events, out.routing(), prefillTokens, decodeTokens);
    }

    private Event<T> next(Running member, StepOutput out, int firstRow, int rows, int row, PromptLogprobs prompt) {
        Request request = member.request;
        if (request.maxNewTokens() == 0) {
            running.remove(member.tag);
            return new Event<>(member.tag, firstRow, rows, -1, Double.NaN, List.of(), prompt, Generation.FinishReason.LENGTH);
        }
        int vocab = out.vocab();
        int token = request.sampling().choose(out.logits(), row * vocab, vocab, member.random);
        double[] logP = LogSoftmax.of(out.logits(), row * vocab, vocab);
        member.generated++;
        member.last = token;
        Generation.FinishReason finish = null;
        if (request.stopTokens().contains(token)) {
            finish = Generation.FinishReason.STOP;
        } else if (member.generated == request.maxNewTokens()
                || member.sequence.length() + 1 > model.config().maxPositionEmbeddings()) {
            finish = Generation.FinishReason.LENGTH;
        }
        if (finish != null) {
            running.remove(member.tag);
        }
        return new Event<>(member.tag, firstRow, rows, token, logP[token], top(logP, request.topLogprobs()), prompt, finish);
    }

    private static PromptLogprobs promptLogprobs(Request request, StepOutput out, int firstRow) {
        int[] tokens = request.prompt();
        int vocab = out.vocab();
        double[] logprobs = new double[tokens.length];
        List<List<TopToken>> top = new ArrayList<>(tokens.length);
        logprobs[0] = Double.NaN;
        top.add(List.of());
        for (int i = 1; i < tokens.length; i++) {
            double[] logP = LogSoftmax.of(out.logits(), (firstRow + i - 1) * vocab, vocab);
            logprobs[i] = logP[tokens[i]];
            top.add(top(logP, request.topLogprobs()));
        }
        return new PromptLogprobs(logprobs, top);
    }

    /** The {@code n} most likely tokens, most likely first, the lowest id first among equals. */
    static List<TopToken> top(double[] logP, int n) {
        if (n == 0) {
            return List.of();
        }
        Integer[] order = new Integer[logP.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> logP[a] != logP[b] ? Double.compare(logP[b], logP[a]) : Integer.compare(a, b));
        List<TopToken> top = new ArrayList<>(n);
        for (int i = 0; i < Math.min(n, logP.length); i++) {
            top.add(new TopToken(order[i], logP[order[i]]));
        }
        return top;
    }
}
