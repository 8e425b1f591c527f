#!/usr/bin/env bash
# Layer forward benchmark of issue #3: tokens/s per policy at the Mixtral-small and OLMoE expert shapes,
# OpenBLAS kernels. Takes about eight minutes on two cores. Usage: bench/layer-bench.sh [results.json]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
json="$(realpath -m "${1:-$root/bench/target/layer-bench.json}")"
cd "$root"
source scripts/openblas-env.sh
./mvnw -q -B -Dmaven.test.skip=true -pl bench -am package
exec java -Dorg.bytedeco.javacpp.maxBytes=0 -cp "bench/target/moe-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
    io.moestream.bench.LayerBenchReport "$json"
