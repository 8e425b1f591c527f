// Checks swiglu.cu's kernels, run on the CPU through cuda_on_cpu.h, against double-precision loops with
// the launch shapes CudaExpertKernel uses. Prints one line per case and "N passed, N failed".
#include "cuda_on_cpu.h"

#include "../../main/cuda/swiglu.cu"

#include <cstdio>
#include <random>

namespace {

int passed = 0;
int failed = 0;
std::mt19937 rng(7);

void report(bool ok, const char* what, int a, int b, int c, double error) {
    std::printf("%s %s %d %d %d (error %.3g)\n", ok ? "ok  " : "FAIL", what, a, b, c, error);
    (ok ? passed : failed)++;
}

std::vector<float> randoms(size_t n) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> values(n);
    for (auto& v : values) {
        v = normal(rng);
    }
    return values;
}

// Padded strides (lda > K, ldc > N) check that the kernel honours them; the padding of C must stay as it was.
void gemm(int M, int N, int K) {
    const int lda = K + 3, ldb = K + 1, ldc = N + 2;
    const float sentinel = 12345.0f;
    auto A = randoms((size_t) M * lda);
    auto B = randoms((size_t) N * ldb);
    std::vector<float> C((size_t) M * ldc, sentinel);
    launch(dim3{(unsigned) ((N + BN - 1) / BN), (unsigned) ((M + BM - 1) / BM)}, dim3{THREADS_X, THREADS_Y},
           gemm_nt, M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc);
    double error = 0, norm = 0;
    bool padding = true;
    for (int m = 0; m < M; ++m) {
        for (int n = 0; n < ldc; ++n) {
            float got = C[(size_t) m * ldc + n];
            if (n >= N) {
                padding &= got == sentinel;
                continue;
            }
            double want = 0;
            for (int k = 0; k < K; ++k) {
                want += (double) A[(size_t) m * lda + k] * B[(size_t) n * ldb + k];
            }
            error += (got - want) * (got - want);
            norm += want * want;
        }
    }
    double relative = std::sqrt(error / (norm > 0 ? norm : 1));
    report(relative < 1e-5 && padding, "gemm_nt M N K", M, N, K, relative);
}

void gate(int rows, int ffn, unsigned blocks, unsigned threads) {
    auto h = randoms((size_t) rows * 2 * ffn);
    for (size_t i = 0; i < h.size(); i += 7) {
        h[i] *= 40;  // far into both tails of silu
    }
    auto before = h;
    launch(dim3{blocks}, dim3{threads}, swiglu_gate, rows, ffn, h.data());
    double worst = 0;
    bool upKept = true;
    for (int r = 0; r < rows; ++r) {
        for (int j = 0; j < ffn; ++j) {
            double z = before[(size_t) r * 2 * ffn + j];
            double up = before[(size_t) r * 2 * ffn + ffn + j];
            double want = z / (1 + std::exp(-z)) * up;
            double got = h[(size_t) r * 2 * ffn + j];
            worst = std::max(worst, std::abs(got - want) / std::max(std::abs(want), 1e-30));
            upKept &= h[(size_t) r * 2 * ffn + ffn + j] == before[(size_t) r * 2 * ffn + ffn + j];
        }
    }
    report(worst < 1e-5 && upKept, "swiglu_gate rows ffn blocks", rows, ffn, (int) blocks, worst);
}

}  // namespace

int main() {
    gemm(1, 1, 1);
    gemm(64, 64, 16);
    gemm(1, 70, 33);
    gemm(130, 67, 50);
    gemm(65, 129, 17);
    gate(1, 5, 1, 32);
    gate(3, 37, 2, 32);    // fewer threads than elements: the grid-stride loop must cover the rest
    gate(4, 100, 64, 32);  // more threads than elements
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
