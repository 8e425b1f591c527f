#!/usr/bin/env bash
# The fault-injection harness (docs/RELIABILITY.md): a 3-node KRaft cluster and every service of
# docker-compose.yml as its own JVM, prompts at a steady rate, faults from a matrix, then the
# invariants checked from the topics. Prints a table and exits non-zero when a check fails: 1 when an
# invariant broke (a request lost, doubled or corrupted, a transaction left open, ...), 4 when only the
# issue's goals were missed (each a matter of time: ok share, recovery time, slowdown), 2 when the run
# could not be carried out, 3 past its time limit.
#
#   scripts/chaos-test.sh            # short form (CI): one kill -9 of each service type and of the controller
#   scripts/chaos-test.sh --full     # the whole matrix
#   scripts/chaos-test.sh --help     # every option (rate, ports, seed, time limit, ...)
#
# Builds what it needs when a jar is missing (CI has built everything before). Whatever ends the
# run, its processes and its scratch folder go with it: the harness runs in a process group of its
# own under `timeout`, and the trap kills that group and removes the folder.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

full=false
for arg in "$@"; do [[ "$arg" == --full ]] && full=true; done
# The harness's own limit (--time-limit-minutes) ends it first; this one is the backstop.
limit_s=$([[ "$full" == true ]] && echo 3000 || echo 1200)

# Rebuilt when a jar is missing or any module's sources or poms are newer than the harness's jar (as ./moe
# does): measuring yesterday's services would say nothing about today's.
stale() {
    local jar
    jar="$(compgen -G "chaos/target/moe-chaos-*.jar" | head -n 1)" || return 0
    [[ -z "$jar" || ! -d chaos/target/lib ]] && return 0
    for m in gateway-service router-service expert-service; do
        compgen -G "$m/target/*-exec.jar" >/dev/null || return 0
    done
    [[ -n "$(find . \( -name target -o -name .git \) -prune -o \( -name pom.xml -o -path '*/src/main/*' \) \
        -newer "$jar" -print -quit)" ]]
}
if stale; then
    echo "chaos-test: building the services and the harness..." >&2
    # A dependency whose version changed would otherwise leave its old jar beside the new one in lib.
    rm -rf chaos/target/lib
    # Serialised with other builds in the same checkout where flock exists (shared development machines).
    lock=()
    command -v flock >/dev/null && lock=(flock /tmp/mvn.lock)
    "${lock[@]}" ./mvnw -q -B -Dmaven.test.skip=true -pl chaos -am package >&2
    touch chaos/target/moe-chaos-*.jar
fi

# OPENBLAS_CORETYPE=SKYLAKEX where the CPU has AVX-512, as ./moe and compose's expert services get it.
source scripts/openblas-env.sh

work="$(mktemp -d "${TMPDIR:-/tmp}/moe-chaos.XXXXXX")"
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then
        kill -TERM -- "-$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 1; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

jar="$(compgen -G "chaos/target/moe-chaos-*.jar" | head -n 1)"
# setsid: a process group of its own (its id is the harness's pid), so the trap can end every child.
setsid timeout --kill-after=30 "$limit_s" "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx768m -XX:+UseSerialGC \
    -cp "$jar:chaos/target/lib/*" io.moestream.chaos.ChaosCommand --work "$work" "$@" &
pid=$!
set +e
wait "$pid"
status=$?
set -e
exit "$status"
