#!/usr/bin/env bash
# Whole-model benchmark of issue #9: prefill and decode tokens/s of generated Mixtral-like models on
# OpenBLAS, each against the bare sgemms of the same step timed in the same run, and resident memory
# against weights plus KV cache. Takes about 5 minutes on two cores (the models are generated once, into
# bench/target/decoder-models). Usage: bench/decoder-bench.sh [results.json [tiny small ...]];
# each scale writes results-<scale>.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
json="$(realpath -m "${1:-$root/bench/target/decoder-bench.json}")"
shift || true
cd "$root"
source scripts/openblas-env.sh
./mvnw -q -B -Dmaven.test.skip=true -pl bench -am package
run() {
    java -Dorg.bytedeco.javacpp.maxBytes=0 -cp "bench/target/moe-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
        io.moestream.bench.DecoderBench "$@"
}
# Generating holds a whole shard on the heap: done in its own JVM, so the measured one's memory is the engine's.
JAVA_TOOL_OPTIONS="-Xmx4g" run --generate "$json" bench/target/decoder-models "$@"
# The heap needs one layer's F32 weights while they are loaded and handed to OpenBLAS, not the model.
# One JVM per scale, so that each reads the resident memory of its own model alone.
scales=("$@")
((${#scales[@]})) || scales=(tiny small)
for scale in "${scales[@]}"; do
    JAVA_TOOL_OPTIONS="-Xmx1g" run "${json%.json}-$scale.json" bench/target/decoder-models $scale
done
