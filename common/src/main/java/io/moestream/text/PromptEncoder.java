package io.moestream.text;

import io.moestream.model.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Turns a prompt into the hidden states an MoE layer consumes: token ids, then rows of the
 * checkpoint's embedding table {@code model.embed_tokens.weight} ({@code [vocab][hidden]}, F32).
 *
 * <p>The ids come from the model's own tokenizer when the checkpoint has a {@code tokenizer.json}
 * ({@link #forModel}), with the model's special tokens as transformers adds them; otherwise (a
 * checkpoint without one, such as a generated layer-only checkpoint) from cl100k_base, which
 * encodes special-token markup as ordinary text.
 *
 * <p>Thread-safe; the table is read, never copied or written, because at full scale it is
 * gigabytes. Closing the encoder closes the model tokenizer it was given.
 */
public final class PromptEncoder implements AutoCloseable {

    public static final int DEFAULT_MAX_TOKENS = 4096;

    private final float[] table;
    private final int vocab;
    private final int hidden;
    private final int maxTokens;
    /** The model's tokenizer; null for cl100k_base. */
    private final ModelTokenizer tokenizer;

    /** A cl100k_base encoder with the default maximum of {@value #DEFAULT_MAX_TOKENS} tokens a prompt. */
    public PromptEncoder(Tensor embeddings) {
        this(embeddings, DEFAULT_MAX_TOKENS);
    }

    /**
     * A cl100k_base encoder.
     *
     * @param embeddings the table {@code [vocab][hidden]}
     * @param maxTokens the longest prompt accepted, in tokens
     * @throws IllegalArgumentException for a table that is not rank 2 or has an empty dimension, or
     *         {@code maxTokens < 1}
     */
    public PromptEncoder(Tensor embeddings, int maxTokens) {
        this(embeddings, maxTokens, null);
    }

    /**
     * An encoder that tokenizes with {@code tokenizer} (null for cl100k_base), which it then owns.
     *
     * @throws IllegalArgumentException as {@link #PromptEncoder(Tensor, int)}
     */
    public PromptEncoder(Tensor embeddings, int maxTokens, ModelTokenizer tokenizer) {
        int[] shape = embeddings.shape();
        if (shape.length != 2) {
            throw new IllegalArgumentException("the embedding table must have rank 2, [vocab][hidden], got shape "
                    + Arrays.toString(shape));
        }
        if (shape[0] < 1 || shape[1] < 1) {
            throw new IllegalArgumentException("the embedding table's shape must be positive, got " + Arrays.toString(shape));
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("the maximum token count must be >= 1, got " + maxTokens);
        }
        this.table = embeddings.data();
        this.vocab = shape[0];
        this.hidden = shape[1];
        this.maxTokens = maxTokens;
        this.tokenizer = tokenizer;
    }

    /**
     * An encoder for the model in {@code modelDirectory}: its own tokenizer when the directory
     * holds a {@value ModelTokenizer#FILE}, cl100k_base otherwise.
     *
     * @throws io.moestream.model.CheckpointException for a tokenizer file that cannot be loaded
     * @throws IllegalArgumentException as {@link #PromptEncoder(Tensor, int)}
     */
    public static PromptEncoder forModel(Path modelDirectory, Tensor embeddings, int maxTokens) {
        ModelTokenizer tokenizer = ModelTokenizer.load(modelDirectory).orElse(null);
        try {
            return new PromptEncoder(embeddings, maxTokens, tokenizer);
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e;
        }
    }

    public int vocabularySize() {
        return vocab;
    }

    public int hiddenSize() {
        return hidden;
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** The model tokenizer in use; empty for cl100k_base. */
    public Optional<ModelTokenizer> modelTokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /**
     * Token ids of a prompt, by the model's tokenizer or cl100k_base.
     *
     * @throws IllegalArgumentException for a null, empty or blank prompt, or one longer than the
     *         maximum token count (the message gives the actual count)
     */
    public int[] tokenize(String prompt) {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (prompt.isBlank()) {
            throw new IllegalArgumentException("the prompt is blank (" + prompt.length() + " whitespace characters)");
        }
        int[] ids = tokenizer != null ? tokenizer.encode(prompt) : Cl100k.tokenize(prompt);
        requireWithinMaximum(ids.length);
        return ids;
    }

    /**
     * The embedding rows of {@code tokenIds}.
     *
     * @return {@code [n][hidden]} row-major, {@code n = tokenIds.length}
     * @throws IllegalArgumentException for no tokens, more than the maximum, or an id outside
     *         {@code [0, vocab)} (naming its position, its value and, where the model's tokenizer
     *         knows it, its token)
     */
    public float[] embed(int[] tokenIds) {
        if (tokenIds == null || tokenIds.length == 0) {
            throw new IllegalArgumentException("no token ids to embed");
        }
        requireWithinMaximum(tokenIds.length);
        float[] states = new float[Math.multiplyExact(tokenIds.length, hidden)];
        for (int position = 0; position < tokenIds.length; position++) {
            int id = tokenIds[position];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token at position " + position + tokenText(id) + " has id " + id
                        + ", outside the embedding table's vocabulary [0, " + vocab + ")");
            }
            System.arraycopy(table, id * hidden, states, position * hidden, hidden);
        }
        return states;
    }

    /** {@link #embed}({@link #tokenize}(prompt)). */
    public float[] encode(String prompt) {
        return embed(tokenize(prompt));
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    /** {@code " (\"token\")"} for an id the model's tokenizer knows, else nothing. */
    private String tokenText(int id) {
        return tokenizer == null ? "" : tokenizer.token(id).map(token -> " (\"" + token + "\")").orElse("");
    }

    private void requireWithinMaximum(int tokens) {
        if (tokens > maxTokens) {
            throw new IllegalArgumentException("the prompt has " + tokens + " tokens, more than the maximum of "
                    + maxTokens);
        }
    }
}
