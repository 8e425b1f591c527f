#!/usr/bin/env bash
# Regenerates kernels/src/main/resources/io/moestream/kernels/swiglu.ptx from swiglu.cu. Needs nvcc (any
# CUDA 12 or 13 toolkit), not a GPU. Run it after editing swiglu.cu and commit both files.
#
# Target: compute_75 (Turing), the lowest virtual architecture CUDA 13 still compiles for; the kernels use
# nothing newer (plain loads, stores, fma, expf, shared memory, bar.sync), and the driver JIT-compiles
# this PTX for any newer GPU (A100, H100, ...).
#
# PTX ISA: nvcc 13 stamps ".version 9.0", which only a CUDA 13 driver (R580 or newer) loads. The kernels
# use no instruction newer than ISA 8.0, so the stamp is lowered to 8.0 (CUDA 12.0, driver R525 or newer),
# the CUDA generation JCuda 12.6.0 is built for; ptxas then re-checks the file against ISA 8.0 and fails
# if anything in it needs a newer one.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../resources/io/moestream/kernels/swiglu.ptx"
isa=8.0

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
nvcc -ptx -arch=compute_75 -O3 "$here/swiglu.cu" -o "$tmp/swiglu.ptx"
sed -E "s/^\.version [0-9]+\.[0-9]+$/.version $isa/" "$tmp/swiglu.ptx" > "$tmp/lowered.ptx"
grep -qx ".version $isa" "$tmp/lowered.ptx" || { echo "no .version line to lower in nvcc's output" >&2; exit 1; }
for arch in sm_75 sm_90; do
    ptxas -arch="$arch" "$tmp/lowered.ptx" -o /dev/null
done
mv "$tmp/lowered.ptx" "$out"
echo "wrote $out (PTX ISA $isa, target compute_75)"
