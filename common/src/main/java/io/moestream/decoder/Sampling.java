package io.moestream.decoder;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How the next token is chosen: greedy (the most likely token) when the temperature is 0, else
 * sampled from the distribution at that temperature, cut to the smallest set of most likely tokens
 * whose probability reaches {@code topP} (nucleus sampling).
 *
 * @param temperature 0 for greedy, else > 0
 * @param topP in (0, 1]
 * @param seed where the random streams start: the {@code i}-th prompt of a call draws from its own
 *        stream, so a prompt samples the same tokens whatever the other prompts are, provided it keeps
 *        its index and its logits do not depend on them (under a capacity policy they do: the batch
 *        is routed together)
 */
public record Sampling(double temperature, double topP, long seed) {

    public static final Sampling GREEDY = new Sampling(0, 1, 0);

    public Sampling {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
    }

    public boolean greedy() {
        return temperature == 0;
    }

    /** The random stream of the {@code index}-th sequence of a call. */
    SplittableRandom random(int index) {
        // SplittableRandom mixes its seed, so seeds a fixed odd multiple apart give unrelated streams.
        return new SplittableRandom(seed + 0x9E3779B97F4A7C15L * index);
    }

    /**
     * The random stream of the {@code index}-th sequence past the draws of its first {@code sampled} tokens
     * ({@link #choose} draws once per token unless greedy): where a sequence computed again after a takeover
     * goes on drawing.
     */
    SplittableRandom random(int index, int sampled) {
        SplittableRandom random = random(index);
        for (int i = 0; !greedy() && i < sampled; i++) {
            random.nextDouble();
        }
        return random;
    }

    /** Chooses the next token from one row of logits. */
    int choose(float[] logits, int from, int vocab, SplittableRandom random) {
        if (greedy()) {
            return LogSoftmax.argmax(logits, from, vocab);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[from + i]);
        }
        double[] p = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp((logits[from + i] - max) / temperature);
            sum += p[i];
        }
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int kept = 0;
        double mass = 0;
        while (kept < vocab && mass < topP * sum) {
            mass += p[order[kept++]];
        }
        double target = random.nextDouble() * mass;
        for (int i = 0; i < kept; i++) {
            target -= p[order[i]];
            if (target < 0) {
                return order[i];
            }
        }
        return order[kept - 1];
    }
}
