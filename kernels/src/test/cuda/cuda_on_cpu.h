// Just enough of CUDA to run swiglu.cu's kernels on the CPU: every block's threads are real threads that
// meet at a barrier for __syncthreads(), blocks run one after another (so a function-static array serves as
// the block's shared memory). Slow, but it executes the kernels' own index arithmetic, bounds checks and
// synchronisation, which is what no GPU-less machine can otherwise check.
#pragma once

#include <barrier>
#include <cmath>
#include <thread>
#include <vector>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;
inline thread_local std::barrier<>* blockBarrier = nullptr;

inline void __syncthreads() { blockBarrier->arrive_and_wait(); }

#define __global__
#define __shared__ static

template <typename... Params, typename... Args>
void launch(dim3 grid, dim3 block, void (*kernel)(Params...), Args... args) {
    gridDim = grid;
    blockDim = block;
    for (unsigned by = 0; by < grid.y; ++by) {
        for (unsigned bx = 0; bx < grid.x; ++bx) {
            std::barrier<> barrier(block.x * block.y);
            std::vector<std::thread> threads;
            for (unsigned ty = 0; ty < block.y; ++ty) {
                for (unsigned tx = 0; tx < block.x; ++tx) {
                    threads.emplace_back([&, tx, ty, bx, by] {
                        threadIdx = {tx, ty, 0};
                        blockIdx = {bx, by, 0};
                        blockBarrier = &barrier;
                        kernel(static_cast<Params>(args)...);
                    });
                }
            }
            for (auto& thread : threads) {
                thread.join();
            }
        }
    }
}
