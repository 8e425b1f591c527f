package io.moestream.expert;

/**
 * One SwiGLU expert, {@code y = W2 (silu(W1 x) * W3 x)}, in F32, row-major as checkpoints store
 * them: {@code w1} and {@code w3} are {@code [ffn][hidden]} (Mixtral's w1/w3, the gate_proj/up_proj
 * of the Qwen family), {@code w2} is {@code [hidden][ffn]} (w2, down_proj).
 */
public record ExpertWeights(int hidden, int ffn, float[] w1, float[] w3, float[] w2) {

    public ExpertWeights {
        if (hidden < 1 || ffn < 1) {
            throw new IllegalArgumentException("expert shape must be positive, got hidden=" + hidden + " ffn=" + ffn);
        }
        check("w1", w1, (long) ffn * hidden);
        check("w3", w3, (long) ffn * hidden);
        check("w2", w2, (long) hidden * ffn);
    }

    private static void check(String name, float[] values, long expected) {
        if (values == null || values.length != expected) {
            throw new IllegalArgumentException(name + " has " + (values == null ? 0 : values.length)
                    + " values, expected " + expected);
        }
    }
}
