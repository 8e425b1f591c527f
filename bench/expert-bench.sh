#!/usr/bin/env bash
# Expert kernel benchmark of issue #3: the OpenBLAS expert FFN against bare cblas_sgemm of the same shapes,
# as GFLOP/s and their ratio. Takes about two minutes on two cores. Usage: bench/expert-bench.sh [results.json]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
json="$(realpath -m "${1:-$root/bench/target/expert-bench.json}")"
cd "$root"
# OpenBLAS reads both when it loads. SKYLAKEX only where the CPU has AVX-512: elsewhere its kernels die of
# SIGILL, and machines of this project's kind differ (see OpenBlasLibrary in the kernels module).
if [[ -z "${OPENBLAS_CORETYPE:-}" ]] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    export OPENBLAS_CORETYPE=SKYLAKEX
fi
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"
./mvnw -q -B -Dmaven.test.skip=true -pl bench -am package
exec java -cp "bench/target/moe-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" io.moestream.bench.ExpertBenchReport "$json"
