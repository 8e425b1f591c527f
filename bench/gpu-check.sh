#!/usr/bin/env bash
# The GPU check of issue #3, in two steps, because the GPU machine has no JDK, no Maven and no network:
#
#   bench/gpu-check.sh pack   here: builds the bench module and writes .gpu-bundle/ (ignored by git): a Java
#                             runtime made by jlink from this machine's JDK and the jars the check runs on;
#                             prints its size, and fails if it and the working tree would not travel (56 MiB)
#   bench/gpu-check.sh run    on the GPU machine, .gpu-bundle carried: nvidia-smi, GpuCheck (GPU probe,
#                             correctness, our expert FFN TFLOP/s, the layer's tokens/s), torch-expert-ffn.py
#                             (PyTorch's TFLOP/s on the same cases) and the joined table; the log and the JSON
#                             go to ${OUT:-bench/target/gpu-check}
#
# Exit status of run: 0 passed, 1 a case or a step failed, 2 no bundle, 3 no usable GPU (the probe says why).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$root/.gpu-bundle"
# The device tool carries at most 64 MiB of working tree and carried paths together; keep a margin.
limit_mib=56
cd "$root"

# What a bundle was built from, so that a run can tell a bundle older than the sources beside it.
sources_hash() {
    find pom.xml {common,kernels,bench}/pom.xml {common,kernels,bench}/src/main -type f -print0 \
        | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}

mib() {
    awk -v bytes="$1" 'BEGIN { printf "%.1f", bytes / 1048576 }'
}

pack() {
    ./mvnw -q -B -Dmaven.test.skip=true -pl bench -am package
    rm -rf "$bundle"
    mkdir -p "$bundle/lib"
    cp bench/target/moe-bench-*.jar "$bundle/lib/"
    for jar in bench/target/lib/*.jar; do
        case "$(basename "$jar")" in
            # OpenBLAS's natives (20 MB): the check asks for the gpu backend and takes no fallback, so it never
            # loads OpenBLAS. Jackson and the tokenizer serve checkpoints and prompts, which the check does not
            # read; of JMH it reads the annotations only.
            openblas-*-linux-*.jar | jackson-*.jar | jtokkit-*.jar | jopt-simple-*.jar | commons-math3-*.jar) ;;
            *) cp "$jar" "$bundle/lib/" ;;
        esac
    done
    # JCuda's natives hold its NVRTC and PTX-compiler bindings too (24 MB unpacked); the kernels use neither.
    zip -q -d "$bundle"/lib/jcuda-natives-*.jar 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*'
    local modules
    modules="$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 "$bundle"/lib/*.jar)"
    echo "jlink $(jlink --version): $modules"
    jlink --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=2 --output "$bundle/jre"
    echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo -dirty) $(sources_hash)" > "$bundle/built-from"

    local bundle_bytes tree_bytes
    bundle_bytes="$(du -sb "$bundle" | cut -f1)"
    tree_bytes="$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)"
    echo "bundle $(mib "$bundle_bytes") MiB (runtime $(mib "$(du -sb "$bundle/jre" | cut -f1)") MiB, jars" \
        "$(mib "$(du -sb "$bundle/lib" | cut -f1)") MiB) + working tree $(mib "$tree_bytes") MiB" \
        "= $(mib $((bundle_bytes + tree_bytes))) MiB to travel (limit $limit_mib MiB)"
    if ((bundle_bytes + tree_bytes > limit_mib * 1048576)); then
        echo "too large to carry to the GPU machine" >&2
        exit 1
    fi
}

steps() {
    local java="$bundle/jre/bin/java"
    # A transfer that dropped the file modes must not stop the run.
    if [[ -f "$java" && ! -x "$java" ]]; then
        chmod +x "$bundle"/jre/bin/* "$bundle"/jre/lib/jspawnhelper
    fi
    if [[ ! -x "$java" ]]; then
        echo "no bundle at $bundle: run 'bench/gpu-check.sh pack' on the build machine, and carry .gpu-bundle"
        return 2
    fi
    local built hash
    read -r built hash < "$bundle/built-from"
    echo "== gpu-check on $(uname -n), $(date -u +%FT%TZ); bundle built from $built"
    if [[ "$hash" != "$(sources_hash)" ]]; then
        echo "WARNING: the bundle was built from other sources than these: its results describe that build; rerun pack"
    fi

    echo "== nvidia-smi"
    if command -v nvidia-smi > /dev/null; then
        nvidia-smi 2>&1 | tee "$out/nvidia-smi.txt" || true
    else
        echo "nvidia-smi: not found"
    fi
    echo "== CUDA libraries in the loader's cache (JCuda needs libcuda.so.1, its cuBLAS binding libcublas.so.12)"
    PATH="$PATH:/sbin:/usr/sbin" ldconfig -p | grep -E 'libcuda\.so|libcublas\.so' || echo "none"
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"

    echo "== GpuCheck"
    local java_rc=0
    # A crash in native code (JCuda, the driver) leaves its report where it comes back from the device.
    timeout 240 "$java" -Xmx16g -XX:ErrorFile="$out/hs_err.log" -cp "$bundle/lib/*" io.moestream.bench.GpuCheck \
        --out "$out/java.json" || java_rc=$?
    if ((java_rc == 124)); then
        echo "GpuCheck did not finish within 240 s: stopped"
    fi

    echo "== PyTorch"
    # Unbuffered, so that a run stopped by its timeout still shows how far it got.
    export PYTHONUNBUFFERED=1
    local torch_rc=0
    if ! command -v python3 > /dev/null; then
        echo "no python3: the PyTorch timings are skipped"
        torch_rc=3
    elif [[ ! -f "$out/java.json" ]]; then
        echo "GpuCheck wrote no plan: the PyTorch timings are skipped"
        torch_rc=1
    else
        timeout 120 python3 -B bench/torch-expert-ffn.py measure --plan "$out/java.json" --out "$out/torch.json" \
            || torch_rc=$?
    fi
    if [[ -f "$out/torch.json" ]]; then
        python3 -B bench/torch-expert-ffn.py join --java "$out/java.json" --torch "$out/torch.json" \
            --out "$out/gpu-check.json" || torch_rc=$?
    fi

    local verdict rc
    if ((java_rc == 3)); then
        verdict="NO GPU (the probe's reason is above)" rc=3
    elif ((java_rc != 0 || torch_rc != 0)); then
        verdict="FAILED (GpuCheck exit $java_rc, PyTorch exit $torch_rc)" rc=1
    else
        verdict="PASSED" rc=0
    fi
    echo "== gpu-check $verdict; results in $out: $(cd "$out" && echo *)"
    return "$rc"
}

case "${1:-}" in
    pack)
        pack
        ;;
    run)
        out="$(realpath -m "${OUT:-$root/bench/target/gpu-check}")"
        mkdir -p "$out"
        # A result left by an earlier run must not be joined with this run's.
        rm -f "$out"/{log.txt,nvidia-smi.txt,java.json,torch.json,gpu-check.json,hs_err.log}
        # Everything also goes to log.txt, which comes back from the device with the JSON.
        set +e
        steps 2>&1 | tee "$out/log.txt"
        exit "${PIPESTATUS[0]}"
        ;;
    *)
        sed -n '2,12p' "$0" >&2
        exit 64
        ;;
esac
