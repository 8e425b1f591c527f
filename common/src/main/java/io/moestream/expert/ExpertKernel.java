package io.moestream.expert;

/**
 * Computes SwiGLU expert FFNs for batches of rows. An implementation holds the weights of the
 * experts it hosts (on the device, for a GPU backend) and may keep native resources, hence
 * {@link AutoCloseable}. Implementations need not be thread-safe: one owner thread calls them.
 */
public interface ExpertKernel extends AutoCloseable {

    /**
     * {@code y[r] = W2 (silu(W1 x[r]) * W3 x[r])} for {@code rows} rows.
     *
     * @param x {@code [rows][hidden]} row-major
     * @param y {@code [rows][hidden]} row-major, overwritten
     * @throws IllegalArgumentException if the expert is not hosted here or the arrays are too short
     */
    void forward(int expert, float[] x, int rows, float[] y);

    /** The backend in use, such as {@code java}, {@code cpu (openblas, 2 threads)} or {@code gpu (H100)}. */
    String description();

    @Override
    void close();
}
