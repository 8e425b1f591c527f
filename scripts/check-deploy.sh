#!/usr/bin/env bash
# Checks the deployment files without a Docker engine or a cluster:
#   - docker-compose.yml (alone and with docker-compose.gpu.yml) passes `docker-compose config`;
#   - every k8s overlay renders with `kubectl kustomize`;
#   - the rendered output is what the services need (scripts/check_deploy.py says what it asserts):
#     images the Maven build names, health checks and probes on the actuator endpoints, scrape targets
#     and annotations, one expert per rank, the Kafka bootstrap the services read, GPU only where asked.
# Tools: docker-compose (Debian package docker-compose; `docker compose` v2 also works), kubectl 1.24 or
# newer (package kubectl; or a standalone kustomize v4.5+), python3 with PyYAML (python3-yaml, a
# dependency of docker-compose); promtool (Debian package prometheus) is used when present.
#
#   scripts/check-deploy.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

missing=()
compose=()
if command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    missing+=("docker-compose (apt-get install -y docker-compose)")
fi
# kubectl embeds kustomize; the manifests use components, `labels` and targeted `patches`, which need
# kustomize v4.5 or newer (kubectl 1.24 or newer; Debian's own kubernetes-client 1.20 is too old).
# A standalone `kustomize` binary is used where kubectl is missing or too old.
render=()
kustomize_version() {  # major * 100 + minor of the kustomize a command reports, 0 if it reports none
    local line
    line="$("$@" 2>/dev/null | grep -Eo '(Kustomize Version: |kustomize/|^)v?[0-9]+\.[0-9]+' | head -n 1)" || true
    line="${line##*[ /]}"
    line="${line#v}"
    [[ "$line" =~ ^([0-9]+)\.([0-9]+)$ ]] && echo $((BASH_REMATCH[1] * 100 + BASH_REMATCH[2])) || echo 0
}
if command -v kubectl >/dev/null 2>&1 && (( $(kustomize_version kubectl version --client) >= 405 )); then
    render=(kubectl kustomize)
elif command -v kustomize >/dev/null 2>&1 && (( $(kustomize_version kustomize version) >= 405 )); then
    render=(kustomize build)
elif command -v kubectl >/dev/null 2>&1; then
    missing+=("kubectl 1.24 or newer (kustomize v4.5+); this one is: $(kubectl version --client 2>&1 | head -n 1)")
else
    missing+=("kubectl (apt-get install -y kubectl, from the Kubernetes apt repository; 1.24 or newer)")
fi
python=""
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' >/dev/null 2>&1; then
        python="$candidate"
        break
    fi
done
[[ -n "$python" ]] || missing+=("python3 with PyYAML (apt-get install -y python3-yaml)")
if ((${#missing[@]})); then
    echo "check-deploy: missing tools, nothing was checked:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 127
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

step() { echo "check-deploy: $*"; }

step "${compose[*]} config -q: docker-compose.yml"
"${compose[@]}" -f docker-compose.yml config -q
step "${compose[*]} config -q: docker-compose.yml + docker-compose.gpu.yml"
"${compose[@]}" -f docker-compose.yml -f docker-compose.gpu.yml config -q
"${compose[@]}" -f docker-compose.yml config > "$out/compose.yml"
"${compose[@]}" -f docker-compose.yml -f docker-compose.gpu.yml config > "$out/compose-gpu.yml"

overlays=()
for dir in k8s/overlays/*/; do
    overlay="$(basename "$dir")"
    step "${render[*]} k8s/overlays/$overlay"
    "${render[@]}" "k8s/overlays/$overlay" > "$out/k8s-$overlay.yaml"
    overlays+=("$overlay=$out/k8s-$overlay.yaml")
done
[[ -d k8s/overlays/cpu && -d k8s/overlays/gpu ]] || { echo "check-deploy: k8s/overlays/cpu and gpu must exist" >&2; exit 1; }

if command -v promtool >/dev/null 2>&1; then
    step "promtool check config deploy/prometheus/prometheus.yml"
    promtool check config deploy/prometheus/prometheus.yml
else
    step "promtool not installed (Debian package prometheus): Prometheus config checked by check_deploy.py only"
fi

step "checking the rendered output"
"$python" scripts/check_deploy.py --root "$root" --compose "$out/compose.yml" --compose-gpu "$out/compose-gpu.yml" \
    "${overlays[@]/#/--k8s=}"
