#!/usr/bin/env bash
# Expert kernel benchmark of issue #3: the OpenBLAS expert FFN against bare cblas_sgemm of the same shapes,
# as GFLOP/s and their ratio. Takes about two minutes on two cores. Usage: bench/expert-bench.sh [results.json]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
json="$(realpath -m "${1:-$root/bench/target/expert-bench.json}")"
cd "$root"
source scripts/openblas-env.sh
./mvnw -q -B -Dmaven.test.skip=true -pl bench -am package
exec java -cp "bench/target/moe-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" io.moestream.bench.ExpertBenchReport "$json"
