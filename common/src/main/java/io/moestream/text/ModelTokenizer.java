package io.moestream.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.LibUtils;
import ai.djl.util.Utils;
import io.moestream.model.CheckpointException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A model's own tokenizer, read from the {@code tokenizer.json} next to its weights and run by the
 * Hugging Face {@code tokenizers} library (through DJL's binding, whose jar carries the native
 * library, so nothing is downloaded).
 *
 * <p>Special tokens follow transformers: BOS, EOS and the like are added as the file's
 * {@code post_processor} adds them, unless {@code tokenizer_config.json} sets {@code add_bos_token}
 * or {@code add_eos_token}; then, as transformers' {@code update_post_processor} does for a
 * post-processor that is absent, TemplateProcessing, Sequence or ByteLevel, BOS goes first when
 * {@code add_bos_token} and EOS last when {@code add_eos_token}, and a flag the config leaves out
 * keeps what the post-processor does on that side. Special-token markup in the text (for example
 * {@code </s>}) becomes that special token, as in transformers.
 *
 * <p>Encoding and decoding are safe from many threads at once (the library's tokenizer is
 * immutable); {@link #close} frees the native tokenizer and must come after all use.
 */
public final class ModelTokenizer implements AutoCloseable {

    public static final String FILE = "tokenizer.json";

    /** The post-processors that transformers rewrites when the config sets add_bos/eos_token. */
    private static final Set<String> REWRITTEN_POST_PROCESSORS = Set.of("TemplateProcessing", "Sequence", "ByteLevel");

    /** Ordinary text that every tokenizer encodes to at least one token, to see what the post-processor adds. */
    private static final String PROBE = "probe";

    static {
        // Before DJL's first class loads, so that it never reaches the network: offline mode skips
        // its usage report (which also queries cloud instance metadata), and the CPU flavour makes
        // it extract the library inside the jar even on a machine where it finds CUDA, instead of
        // downloading a CUDA build. Values set on the command line win.
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        setIfAbsent("RUST_FLAVOR", "cpu");
    }

    private final Path file;
    private final HuggingFaceTokenizer library;
    private final TokenizerFile vocabulary;
    /** What {@link #encode} puts around the text when tokenizer_config.json decides it; null when the post-processor does. */
    private final int[] prefix;
    private final int[] suffix;

    private ModelTokenizer(Path file, HuggingFaceTokenizer library, TokenizerFile vocabulary, int[] prefix,
                           int[] suffix) {
        this.file = file;
        this.library = library;
        this.vocabulary = vocabulary;
        this.prefix = prefix;
        this.suffix = suffix;
    }

    /**
     * The tokenizer of the model in {@code modelDirectory}, or empty when it has no
     * {@value #FILE}.
     *
     * @throws CheckpointException naming the file for a tokenizer.json or tokenizer_config.json
     *         that cannot be read or that the library refuses
     * @throws IllegalStateException when the native library does not load
     */
    public static Optional<ModelTokenizer> load(Path modelDirectory) {
        Path file = modelDirectory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot read: " + e, e);
        }
        TokenizerFile vocabulary = TokenizerFile.parse(file, content);
        TokenizerConfigFile config = TokenizerConfigFile.read(modelDirectory);
        HuggingFaceTokenizer library = open(file, content);
        try {
            ModelTokenizer tokenizer = new ModelTokenizer(file, library, vocabulary, null, null);
            boolean rewritten = config.decidesSpecialTokens()
                    && vocabulary.postProcessor().map(REWRITTEN_POST_PROCESSORS::contains).orElse(true);
            return Optional.of(rewritten ? tokenizer.withSpecialTokensOf(config, modelDirectory) : tokenizer);
        } catch (RuntimeException e) {
            library.close();
            throw e;
        }
    }

    /** Token ids of {@code text} with the model's special tokens, as transformers' {@code tokenizer(text)} gives them. */
    public int[] encode(String text) {
        if (prefix == null) {
            return ids(library.encode(text, true, false).getIds());
        }
        int[] body = encodeWithoutSpecialTokens(text);
        int[] ids = Arrays.copyOf(prefix, prefix.length + body.length + suffix.length);
        System.arraycopy(body, 0, ids, prefix.length, body.length);
        System.arraycopy(suffix, 0, ids, prefix.length + body.length, suffix.length);
        return ids;
    }

    /** Token ids of {@code text} with nothing added (markup of special tokens still becomes them). */
    public int[] encodeWithoutSpecialTokens(String text) {
        return ids(library.encode(text, false, false).getIds());
    }

    /**
     * The text of {@code ids}, special tokens left out. Ids the tokenizer does not know (the rows
     * of a padded embedding table) contribute nothing, as in the library.
     *
     * @throws IllegalArgumentException for a negative id
     */
    public String decode(int[] ids) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i + " is negative");
            }
            wide[i] = ids[i];
        }
        return library.decode(wide, true);
    }

    /** How many tokens the tokenizer has, added tokens included (the library's {@code get_vocab_size(true)}). */
    public int vocabularySize() {
        return vocabulary.ids().size();
    }

    /** The id of a token as the vocabulary spells it, such as {@code </s>} or {@code <|endoftext|>}. */
    public OptionalInt tokenId(String token) {
        Integer id = vocabulary.ids().get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token an id stands for, as the vocabulary spells it; empty for an id the tokenizer does not know. */
    public Optional<String> token(int id) {
        String[] tokens = vocabulary.tokens();
        return id >= 0 && id < tokens.length ? Optional.ofNullable(tokens[id]) : Optional.empty();
    }

    /** The {@value #FILE} this tokenizer was read from. */
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        library.close();
    }

    private static HuggingFaceTokenizer open(Path file, byte[] content) {
        requireNativeLibrary();
        // Truncation and padding stay off whatever the file says, as transformers leaves them to each call.
        Map<String, String> options = Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
        try {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(content), options);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file, null, "the tokenizers library cannot load it: " + e.getMessage(), e);
        }
    }

    /** Tells a native library that does not load (an unwritable cache, say) from a bad tokenizer.json. */
    private static void requireNativeLibrary() {
        try {
            LibUtils.checkStatus();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException("the Hugging Face tokenizers native library does not load; DJL extracts it to "
                    + Utils.getEngineCacheDir("tokenizers") + " (DJL_CACHE_DIR chooses another directory): " + e, e);
        }
    }

    /** This tokenizer with BOS and EOS as tokenizer_config.json sets them, transformers' way. */
    private ModelTokenizer withSpecialTokensOf(TokenizerConfigFile config, Path modelDirectory) {
        int[] withSpecial = encode(PROBE);
        int[] body = encodeWithoutSpecialTokens(PROBE);
        int at = indexOf(withSpecial, body);
        if (at < 0) {
            throw new CheckpointException(file, null, "its post_processor changes the tokens of the text itself, so "
                    + TokenizerConfigFile.FILE + "'s add_bos_token/add_eos_token cannot be applied to it");
        }
        int[] prefix = config.addBosToken()
                .map(add -> add ? new int[] {specialId(config.bosToken(), "bos_token", modelDirectory)} : new int[0])
                .orElse(Arrays.copyOfRange(withSpecial, 0, at));
        int[] suffix = config.addEosToken()
                .map(add -> add ? new int[] {specialId(config.eosToken(), "eos_token", modelDirectory)} : new int[0])
                .orElse(Arrays.copyOfRange(withSpecial, at + body.length, withSpecial.length));
        return new ModelTokenizer(file, library, vocabulary, prefix, suffix);
    }

    private int specialId(Optional<String> token, String field, Path modelDirectory) {
        Path config = modelDirectory.resolve(TokenizerConfigFile.FILE);
        String name = token.orElseThrow(() -> new CheckpointException(config, null,
                "add_" + field + " is true but field '" + field + "' is missing"));
        return tokenId(name).orElseThrow(() -> new CheckpointException(config, null,
                "field '" + field + "' is \"" + name + "\", which is not a token of " + file));
    }

    private static int indexOf(int[] haystack, int[] needle) {
        for (int at = 0; at + needle.length <= haystack.length; at++) {
            if (Arrays.equals(haystack, at, at + needle.length, needle, 0, needle.length)) {
                return at;
            }
        }
        return -1;
    }

    private static int[] ids(long[] wide) {
        int[] ids = new int[wide.length];
        for (int i = 0; i < wide.length; i++) {
            ids[i] = Math.toIntExact(wide[i]);
        }
        return ids;
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
