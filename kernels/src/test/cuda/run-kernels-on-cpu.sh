#!/usr/bin/env bash
# Compiles swiglu.cu's kernels for the CPU (g++ 11 or newer, C++20) and checks them; see cuda_on_cpu.h.
# Exit status 0 when every case passed. CudaKernelsOnCpuTest runs this where g++ is installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(mktemp)"
trap 'rm -f "$bin"' EXIT
g++ -std=c++20 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -pthread -Wall -Wno-unknown-pragmas "$here/run_kernels_on_cpu.cpp" -o "$bin"
"$bin"
