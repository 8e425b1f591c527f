package io.moestream.decoder;

/** {@link MatMul} as loops: each row of C a sum of rows of B scaled by A's entries, which the JIT vectorises. */
final class JavaMatMul implements MatMul {

    @Override
    public void multiply(int m, int n, int k, float[] a, int aFrom, int lda, float[] b, int bFrom, int ldb,
                         float[] c, int cFrom, int ldc) {
        for (int i = 0; i < m; i++) {
            int cRow = cFrom + i * ldc;
            java.util.Arrays.fill(c, cRow, cRow + n, 0f);
            for (int p = 0; p < k; p++) {
                float scale = a[aFrom + i * lda + p];
                int bRow = bFrom + p * ldb;
                for (int j = 0; j < n; j++) {
                    c[cRow + j] += scale * b[bRow + j];
                }
            }
        }
    }
}
