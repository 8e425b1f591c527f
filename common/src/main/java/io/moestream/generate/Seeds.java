package io.moestream.generate;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Independent random streams derived from one seed by name (and index), so that every tensor and
 * every embedding row can be drawn on its own, in any order, and still come out bit for bit the
 * same. Only {@link SplittableRandom}'s integer output is used: its algorithm is fixed by its
 * specification, unlike {@code nextGaussian}, so a seed gives the same model on every JDK.
 */
final class Seeds {

    private Seeds() {
    }

    /** The stream named {@code name}. */
    static SplittableRandom stream(long seed, String name) {
        return stream(seed, name, 0);
    }

    /** The {@code index}-th stream of the family {@code name} (an embedding row, say). */
    static SplittableRandom stream(long seed, String name, long index) {
        long h = mix(seed);
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = mix(h ^ b);
        }
        // Mixing, not adding a constant per index: SplittableRandom seeds a golden-gamma step apart
        // would yield the same sequence shifted by one draw.
        return new SplittableRandom(mix(h ^ mix(index + 1)));
    }

    /** A uniform draw in {@code [-bound, bound)} with 24 random bits, the precision of a float. */
    static float uniform(SplittableRandom random, float bound) {
        return bound * ((random.nextInt() >>> 8) * 0x1p-23f - 1f);
    }

    /** SplitMix64's finaliser: every input bit affects every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
