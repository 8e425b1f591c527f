package io.moestream.generate;

import io.moestream.text.Cl100k;

/**
 * Everything that determines a generated checkpoint, bit for bit.
 *
 * @param skew the routing skew {@code X} of {@link SkewModel}, >= 0
 * @param vocabSize rows of the embedding table: cl100k_base's size, so any prompt embeds; tests
 *        may ask for fewer to stay fast
 */
public record ModelSpec(Preset preset, Scale scale, double skew, long seed, int vocabSize) {

    /** The seed when none is given. */
    public static final long DEFAULT_SEED = 1;

    public ModelSpec {
        if (preset == null || scale == null) {
            throw new IllegalArgumentException("preset and scale are required");
        }
        if (!(skew >= 0) || Double.isInfinite(skew)) {
            throw new IllegalArgumentException("skew must be a finite number >= 0, got " + skew);
        }
        if (vocabSize < 1) {
            throw new IllegalArgumentException("the vocabulary size must be >= 1, got " + vocabSize);
        }
    }

    /** The preset's default skew and seed, with cl100k_base's vocabulary. */
    public static ModelSpec of(Preset preset, Scale scale) {
        return new ModelSpec(preset, scale, preset.defaultSkew(), DEFAULT_SEED, Cl100k.VOCAB_SIZE);
    }

    public ModelSpec withSkew(double value) {
        return new ModelSpec(preset, scale, value, seed, vocabSize);
    }

    public ModelSpec withSeed(long value) {
        return new ModelSpec(preset, scale, skew, value, vocabSize);
    }

    public ModelSpec withVocabSize(int value) {
        return new ModelSpec(preset, scale, skew, seed, value);
    }

    public int hidden() {
        return scale.apply(preset.hidden());
    }

    public int expertFfn() {
        return scale.apply(preset.expertFfn());
    }

    /** 0 without a shared expert. */
    public int sharedFfn() {
        return scale.apply(preset.sharedFfn());
    }

    public int denseFfn() {
        return scale.apply(preset.denseFfn());
    }

    /** The embedding table and gate this specification generates. */
    SkewModel skewModel() {
        return new SkewModel(hidden(), preset.experts(), skew, seed);
    }
}
