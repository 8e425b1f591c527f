package io.moestream.generate;

import io.moestream.text.BpeTrainer;
import io.moestream.text.Corpus;
import io.moestream.text.TrainedBpe;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokenizer of a generated model: byte-level BPE learned by {@link BpeTrainer} from the bundled
 * prompt corpus, with the family's special tokens first ({@link SpecialTokens}), so the corpus the
 * presets are calibrated on tokenizes as a trained model's tokenizer tokenizes its own language.
 * Training is deterministic; each vocabulary is learned once per JVM and shared.
 */
final class GeneratedTokenizer {

    /**
     * The vocabulary a model gets unless it asks for fewer rows: about what a corpus of a few
     * hundred prompts supports before merges start to memorise whole rare words.
     */
    static final int DEFAULT_SIZE = 4096;

    private record Key(int size, List<String> specials) {
    }

    private static final Map<Key, TrainedBpe> TRAINED = new ConcurrentHashMap<>();

    private final TrainedBpe bpe;
    private final SpecialTokens specials;

    private GeneratedTokenizer(TrainedBpe bpe, SpecialTokens specials) {
        this.bpe = bpe;
        this.specials = specials;
    }

    /** The tokenizer of {@code spec}: {@link ModelSpec#tokenizerSize()} tokens, the preset's special tokens. */
    static GeneratedTokenizer of(ModelSpec spec) {
        SpecialTokens specials = spec.preset().specialTokens();
        int size = spec.tokenizerSize();
        TrainedBpe bpe = TRAINED.computeIfAbsent(new Key(size, specials.all()),
                key -> BpeTrainer.train(Corpus.bundled().texts(), key.size(), key.specials()));
        if (bpe.vocabularySize() != size) {
            throw new IllegalStateException("the bundled corpus supports a vocabulary of only " + bpe.vocabularySize()
                    + " tokens, not the " + size + " asked for");
        }
        return new GeneratedTokenizer(bpe, specials);
    }

    /** Token ids of {@code text} as the model sees them: BOS first where the family adds it. */
    int[] encode(String text) {
        int[] ids = bpe.encode(text);
        if (!specials.addsBos()) {
            return ids;
        }
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bpe.tokenId(specials.bos());
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /** The id of one of the family's special tokens; {@code null} for {@code null}, a key the family's config leaves null. */
    Integer id(String special) {
        return special == null ? null : bpe.tokenId(special);
    }

    SpecialTokens specials() {
        return specials;
    }

    /** Writes {@code tokenizer.json}, with the post-processor that adds BOS where the family adds it. */
    void write(Path file) throws IOException {
        bpe.writeTokenizerJson(file, specials.addsBos() ? specials.bos() : null);
    }
}
