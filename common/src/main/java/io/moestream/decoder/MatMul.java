package io.moestream.decoder;

/**
 * {@code C = A B} over blocks of larger row-major arrays: {@code A} is {@code m x k} with rows
 * {@code lda} apart, {@code B} is {@code k x n} with rows {@code ldb} apart, {@code C} is
 * {@code m x n} with rows {@code ldc} apart and is overwritten. Attention's products of queries with
 * the cached keys, and of its weights with the cached values, are such blocks. Not thread-safe.
 */
public interface MatMul {

    void multiply(int m, int n, int k, float[] a, int aFrom, int lda, float[] b, int bFrom, int ldb,
                  float[] c, int cFrom, int ldc);
}
