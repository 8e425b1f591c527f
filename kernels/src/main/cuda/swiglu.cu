// Device kernels of CudaExpertKernel, loaded from the PTX that build-ptx.sh generates from this file.
//
// Layouts are the host's: row-major, weights stored [out][in] as checkpoints keep them, so both expert
// GEMMs have the form C = A * B^T ("NT") and need no transposed copy of anything:
//   H[T][2F] = X[T][d] * W13[2F][d]^T      (W13 = W1 stacked on W3)
//   Y[T][d]  = G[T][F] * W2[d][F]^T         (G lives in the first F columns of H, stride 2F)

// A block computes a BM x BN tile of C with 16 x 16 threads, each thread a 4 x 4 micro-tile whose rows and
// columns are 16 apart: neighbouring threads then read neighbouring shared-memory words and write
// neighbouring global addresses.
#define BM 64
#define BN 64
#define BK 16
#define THREADS_X 16
#define THREADS_Y 16
#define TM (BM / THREADS_Y)
#define TN (BN / THREADS_X)
// One loop loads both tiles below, so they must have the same number of rows.
static_assert(BM == BN, "the tile loads assume BM == BN");
// Padding keeps the transposing stores into shared memory from hitting one bank 16 times.
#define PAD 4

// C[m][n] = sum_k A[m][k] * B[n][k] for m < M, n < N; lda, ldb, ldc are row strides in floats.
// Launch with grid (ceil(N / BN), ceil(M / BM)) and block (THREADS_X, THREADS_Y). Any shapes are handled:
// loads outside A or B read zeros and stores outside C are skipped.
extern "C" __global__ void gemm_nt(int M, int N, int K,
                                   const float* __restrict__ A, int lda,
                                   const float* __restrict__ B, int ldb,
                                   float* __restrict__ C, int ldc) {
    // Tiles are stored k-major so that the inner loop reads a column of A and a row of B^T contiguously.
    __shared__ float As[BK][BM + PAD];
    __shared__ float Bs[BK][BN + PAD];

    const int tx = threadIdx.x;
    const int ty = threadIdx.y;
    const int tid = ty * THREADS_X + tx;
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;

    float acc[TM][TN];
    for (int i = 0; i < TM; ++i) {
        for (int j = 0; j < TN; ++j) {
            acc[i][j] = 0.0f;
        }
    }

    for (int k0 = 0; k0 < K; k0 += BK) {
        // 256 threads load the 64 x 16 tiles of A and B, 4 elements each; consecutive threads read
        // consecutive k, which is the contiguous direction of both A and B in memory.
        for (int e = tid; e < BM * BK; e += THREADS_X * THREADS_Y) {
            const int r = e / BK;
            const int k = e % BK;
            const int gm = m0 + r;
            const int gn = n0 + r;
            const int gk = k0 + k;
            As[k][r] = (gm < M && gk < K) ? A[(size_t) gm * lda + gk] : 0.0f;
            Bs[k][r] = (gn < N && gk < K) ? B[(size_t) gn * ldb + gk] : 0.0f;
        }
        __syncthreads();

        for (int k = 0; k < BK; ++k) {
            float a[TM];
            float b[TN];
            for (int i = 0; i < TM; ++i) {
                a[i] = As[k][ty + i * THREADS_Y];
            }
            for (int j = 0; j < TN; ++j) {
                b[j] = Bs[k][tx + j * THREADS_X];
            }
            for (int i = 0; i < TM; ++i) {
                for (int j = 0; j < TN; ++j) {
                    acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
                }
            }
        }
        // The next iteration overwrites the tiles that slower threads may still be reading.
        __syncthreads();
    }

    for (int i = 0; i < TM; ++i) {
        const int gm = m0 + ty + i * THREADS_Y;
        if (gm >= M) {
            continue;
        }
        for (int j = 0; j < TN; ++j) {
            const int gn = n0 + tx + j * THREADS_X;
            if (gn < N) {
                C[(size_t) gm * ldc + gn] = acc[i][j];
            }
        }
    }
}

// In place on H[rows][2 * ffn]: H[r][j] = silu(H[r][j]) * H[r][ffn + j] for j < ffn, the SwiGLU gate.
// silu(z) = z / (1 + exp(-z)); expf (not the fast __expf) keeps it within a few ulp, and for z far below
// zero exp(-z) overflows to infinity, which gives the correct limit -0.
// Grid-stride loop: any grid size covers any number of rows.
extern "C" __global__ void swiglu_gate(int rows, int ffn, float* __restrict__ h) {
    const long long total = (long long) rows * ffn;
    const long long stride = (long long) blockDim.x * gridDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const long long r = i / ffn;
        const long long j = i - r * ffn;
        float* row = h + r * 2 * ffn;
        const float z = row[j];
        row[j] = z / (1.0f + expf(-z)) * row[ffn + j];
    }
}
