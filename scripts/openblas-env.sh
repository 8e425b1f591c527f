# Sourced by ./moe and the benchmark scripts: OpenBLAS reads these when it loads, before any Java
# code runs. It misdetects AVX-512 EPYCs as Haswell (half the speed), but forcing SKYLAKEX on a CPU
# without AVX-512 dies with SIGILL, and machines of this project's kind differ: so only where
# /proc/cpuinfo lists avx512f. Values already set by the user win.
if [[ -z "${OPENBLAS_CORETYPE:-}" ]] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    export OPENBLAS_CORETYPE=SKYLAKEX
fi
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"
