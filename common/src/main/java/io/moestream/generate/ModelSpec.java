package io.moestream.generate;

import java.util.Optional;
import java.util.Set;

/**
 * Everything that determines a generated checkpoint, bit for bit.
 *
 * @param skew the routing skew {@code X} of {@link SkewModel}, >= 0
 * @param vocabSize config.json's {@code vocab_size}, the rows of the embedding table and
 *        {@code lm_head}: the generated tokenizer's size at tiny and small scale, the released
 *        model's at full scale, where the rows beyond the tokenizer are unused as in real padded
 *        vocabularies. A tokenizer of {@code min(vocabSize, }{@link GeneratedTokenizer#DEFAULT_SIZE}{@code )}
 *        tokens is trained for it.
 * @param layers {@code num_hidden_layers}
 */
public record ModelSpec(Preset preset, Scale scale, double skew, long seed, int vocabSize, int layers) {

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
        if (layers < 1) {
            throw new IllegalArgumentException("a model needs at least 1 layer, got " + layers);
        }
    }

    /** The preset's default skew, seed and vocabulary, and the scale's default layer count. */
    public static ModelSpec of(Preset preset, Scale scale) {
        int vocab = scale == Scale.FULL ? preset.vocabSize() : GeneratedTokenizer.DEFAULT_SIZE;
        return new ModelSpec(preset, scale, preset.defaultSkew(), DEFAULT_SEED, vocab, scale.defaultLayers());
    }

    public ModelSpec withSkew(double value) {
        return new ModelSpec(preset, scale, value, seed, vocabSize, layers);
    }

    public ModelSpec withSeed(long value) {
        return new ModelSpec(preset, scale, skew, value, vocabSize, layers);
    }

    /** Another vocabulary size: tests ask for fewer rows (and so a smaller tokenizer) to stay fast. */
    public ModelSpec withVocabSize(int value) {
        return new ModelSpec(preset, scale, skew, seed, value, layers);
    }

    public ModelSpec withLayers(int value) {
        return new ModelSpec(preset, scale, skew, seed, vocabSize, value);
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

    /** {@code intermediate_size}: the plain MLP of dense layers. */
    public int denseFfn() {
        return scale.apply(preset.denseFfn());
    }

    /** {@code num_attention_heads}. */
    public int heads() {
        return scale.applyHeads(preset.heads().query());
    }

    /** {@code num_key_value_heads}. */
    public int kvHeads() {
        return scale.applyHeads(preset.heads().keyValue());
    }

    /** The width of one attention head. */
    public int headDim() {
        return scale.applyHeadDim(preset.heads().dim());
    }

    /** DeepSeek-like models' latent attention; empty for the others. */
    Optional<LatentAttention> latentAttention() {
        return preset == Preset.DEEPSEEK_LIKE ? Optional.of(LatentAttention.DEEPSEEK_V2_LITE.at(scale))
                : Optional.empty();
    }

    /**
     * Layers whose FFN is a plain MLP. The Qwen-like families make the last layer dense
     * ({@code mlp_only_layers}) so that whole-model runs meet one; never layer 0, which the
     * layer-only pipeline serves. DeepSeek-like models keep {@code first_k_dense_replace} 0 for
     * the same reason, although DeepSeek-V2-Lite has 1.
     */
    public Set<Integer> denseLayers() {
        return preset.hasMlpOnlyLayers() && layers > 1 ? Set.of(layers - 1) : Set.of();
    }

    /** The size of the tokenizer trained for this model. */
    int tokenizerSize() {
        return Math.min(vocabSize, GeneratedTokenizer.DEFAULT_SIZE);
    }

    /** The embedding table and gates this specification generates. */
    SkewModel skewModel() {
        return new SkewModel(hidden(), preset.experts(), skew, seed);
    }
}
