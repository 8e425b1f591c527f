package io.moestream.decoder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Choosing a token from one fixed row of logits, with no model. */
class SamplingTest {

    /** Distinct logits, the row starting at {@link #FROM} of an array whose other values would win any draw. */
    private static final float[] LOGITS = {2.0f, 1.0f, 0.5f, 0.0f, -1.0f, -3.0f};
    private static final int FROM = 3;
    private static final int DRAWS = 2000;
    /** Standard deviations a bin's count may stray from its expectation; the seeds are fixed, so it cannot flake. */
    private static final double SIGMAS = 4.5;

    /**
     * One draw for each of {@link #DRAWS} seeds: every token's count stays within a few standard
     * deviations of the softmax probability at the temperature, renormalised over the nucleus, and
     * no token outside the nucleus is drawn.
     */
    @ParameterizedTest
    @CsvSource({"1, 1", "2, 1", "0.5, 1", "1, 0.7", "2, 0.9"})
    void sampledFrequenciesTrackTheDistribution(double temperature, double topP) {
        double[] expected = nucleus(temperature, topP);
        float[] row = row();
        int[] counts = new int[LOGITS.length];
        for (long seed = 0; seed < DRAWS; seed++) {
            Sampling sampling = new Sampling(temperature, topP, seed);
            counts[sampling.choose(row, FROM, LOGITS.length, sampling.random(0))]++;
        }
        for (int v = 0; v < LOGITS.length; v++) {
            double mean = DRAWS * expected[v];
            double bound = SIGMAS * Math.sqrt(DRAWS * expected[v] * (1 - expected[v]));
            assertThat((double) counts[v]).as("draws of token %d (expected %.1f) at temperature %s, top-p %s: %s", v, mean,
                    temperature, topP, Arrays.toString(counts)).isBetween(mean - bound, mean + bound);
        }
    }

    @Test
    void greedyTakesTheMostLikelyTokenAndTheLowestIdAmongEquals() {
        float[] row = {9f, 1f, 3f, 3f, 0f};
        assertThat(Sampling.GREEDY.choose(row, 1, 4, Sampling.GREEDY.random(0))).isEqualTo(1);
        assertThat(Sampling.GREEDY.choose(row(), FROM, LOGITS.length, Sampling.GREEDY.random(0))).isZero();
    }

    @Test
    void aTinyTemperatureIsGreedy() {
        for (long seed = 0; seed < 100; seed++) {
            Sampling sampling = new Sampling(1e-6, 1, seed);
            assertThat(sampling.choose(row(), FROM, LOGITS.length, sampling.random(0))).as("seed %d", seed).isZero();
        }
    }

    @Test
    void aTinyTopPIsGreedy() {
        for (long seed = 0; seed < 100; seed++) {
            Sampling sampling = new Sampling(2, 1e-6, seed);
            assertThat(sampling.choose(row(), FROM, LOGITS.length, sampling.random(0))).as("seed %d", seed).isZero();
        }
    }

    @Test
    void eachIndexOfACallHasItsOwnReproducibleStream() {
        Sampling sampling = new Sampling(1, 1, 42);
        assertThat(sampling.random(3).nextLong()).isEqualTo(new Sampling(0.5, 0.5, 42).random(3).nextLong());
        assertThat(sampling.random(0).nextLong()).isNotEqualTo(sampling.random(1).nextLong());
        assertThat(sampling.random(0).nextLong()).isNotEqualTo(new Sampling(1, 1, 43).random(0).nextLong());
    }

    @ParameterizedTest
    @CsvSource({"-1.0", "-0.0001", "NaN", "Infinity"})
    void anInvalidTemperature(double temperature) {
        assertThatThrownBy(() -> new Sampling(temperature, 1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("temperature must be a finite number >= 0, got " + temperature);
    }

    @ParameterizedTest
    @CsvSource({"0.0", "-0.5", "1.5", "NaN", "Infinity"})
    void anInvalidTopP(double topP) {
        assertThatThrownBy(() -> new Sampling(1, topP, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("top-p must be in (0, 1], got " + topP);
    }

    /** {@link #LOGITS} behind {@link #FROM} values larger than any of them. */
    private static float[] row() {
        float[] row = new float[FROM + LOGITS.length + 2];
        Arrays.fill(row, 50f);
        System.arraycopy(LOGITS, 0, row, FROM, LOGITS.length);
        return row;
    }

    /**
     * {@code softmax(LOGITS / temperature)}, cut to the fewest most likely tokens whose probability
     * reaches {@code topP}, renormalised.
     */
    private static double[] nucleus(double temperature, double topP) {
        double[] p = new double[LOGITS.length];
        double sum = 0;
        for (int v = 0; v < p.length; v++) {
            p[v] = Math.exp(LOGITS[v] / temperature);
            sum += p[v];
        }
        for (int v = 0; v < p.length; v++) {
            p[v] /= sum;
        }
        Integer[] order = IntStream.range(0, p.length).boxed().sorted(Comparator.comparingDouble(v -> -p[v]))
                .toArray(Integer[]::new);
        double[] kept = new double[p.length];
        double mass = 0;
        for (int i = 0; i < order.length && mass < topP; i++) {
            kept[order[i]] = p[order[i]];
            mass += p[order[i]];
        }
        for (int v = 0; v < p.length; v++) {
            kept[v] /= mass;
        }
        return kept;
    }
}
