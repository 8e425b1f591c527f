package io.moestream.text;

import io.moestream.model.Tensor;
import java.util.Arrays;

/**
 * Turns a prompt into the hidden states an MoE layer consumes: cl100k_base token ids, then rows of
 * the checkpoint's embedding table {@code model.embed_tokens.weight} ({@code [vocab][hidden]}, F32).
 * Thread-safe; the table is read, never copied or written, because at full scale it is gigabytes.
 */
public final class PromptEncoder {

    public static final int DEFAULT_MAX_TOKENS = 4096;

    private final float[] table;
    private final int vocab;
    private final int hidden;
    private final int maxTokens;

    /** An encoder with the default maximum of {@value #DEFAULT_MAX_TOKENS} tokens a prompt. */
    public PromptEncoder(Tensor embeddings) {
        this(embeddings, DEFAULT_MAX_TOKENS);
    }

    /**
     * @param embeddings the table {@code [vocab][hidden]}
     * @param maxTokens the longest prompt accepted, in tokens
     * @throws IllegalArgumentException for a table that is not rank 2 or has an empty dimension, or
     *         {@code maxTokens < 1}
     */
    public PromptEncoder(Tensor embeddings, int maxTokens) {
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

    /**
     * cl100k_base token ids of a prompt.
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
        int[] ids = Cl100k.tokenize(prompt);
        requireWithinMaximum(ids.length);
        return ids;
    }

    /**
     * The embedding rows of {@code tokenIds}.
     *
     * @return {@code [n][hidden]} row-major, {@code n = tokenIds.length}
     * @throws IllegalArgumentException for no tokens, more than the maximum, or an id outside
     *         {@code [0, vocab)} (naming its position and value)
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
                throw new IllegalArgumentException("token at position " + position + " has id " + id
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

    private void requireWithinMaximum(int tokens) {
        if (tokens > maxTokens) {
            throw new IllegalArgumentException("the prompt has " + tokens + " tokens, more than the maximum of "
                    + maxTokens);
        }
    }
}
