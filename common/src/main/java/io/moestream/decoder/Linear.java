package io.moestream.decoder;

/**
 * A dense projection {@code y = x W^T} with {@code W} row-major {@code [out][in]}, as checkpoints
 * store {@code nn.Linear} weights. Biases are added by the caller, since only some projections
 * have them. Implementations hold the weights in their own resident form and need not be
 * thread-safe: one step runs at a time.
 */
public interface Linear extends AutoCloseable {

    /**
     * @param x {@code [rows][in]} row-major
     * @param y {@code [rows][out]} row-major, overwritten
     */
    void forward(float[] x, int rows, float[] y);

    int in();

    int out();

    @Override
    void close();
}
