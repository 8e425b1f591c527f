package io.moestream.model;

/**
 * The three matrices of a SwiGLU expert, {@code y = W2 (silu(W1 x) * W3 x)}, and what each naming
 * family calls them.
 */
public enum Projection {
    /** The gated input projection, {@code [ffn][hidden]}. */
    W1("w1", "gate_proj"),
    /** The plain input projection, {@code [ffn][hidden]}. */
    W3("w3", "up_proj"),
    /** The output projection, {@code [hidden][ffn]}. */
    W2("w2", "down_proj");

    private final String mixtralName;
    private final String mlpName;

    Projection(String mixtralName, String mlpName) {
        this.mixtralName = mixtralName;
        this.mlpName = mlpName;
    }

    /** This matrix's module name in {@code family}: {@code w1} in Mixtral, {@code gate_proj} in the mlp family. */
    public String nameIn(NamingFamily family) {
        return family == NamingFamily.MIXTRAL ? mixtralName : mlpName;
    }

    /** The shape of this matrix in an expert of the given sizes. */
    int[] shape(int hidden, int ffn) {
        return this == W2 ? new int[] {hidden, ffn} : new int[] {ffn, hidden};
    }
}
