#!/usr/bin/env bash
# Routing benchmark of issue #2: every policy's time per step as a ratio to the plain top-k router.
# Takes about five minutes on two cores. Usage: bench/routing-bench.sh [results.json]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
json="$(realpath -m "${1:-$root/bench/target/routing-bench.json}")"
cd "$root"
./mvnw -q -B -Dmaven.test.skip=true -pl bench -am package
exec java -cp "bench/target/moe-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" io.moestream.bench.RoutingBenchReport "$json"
