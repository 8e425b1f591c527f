#!/usr/bin/env python3
"""Asserts what the deployment files must give the services; run by scripts/check-deploy.sh on the
output of `docker-compose config` and `kubectl kustomize`. Every problem is listed, then exit 1.

What it checks:
  Maven   each image module declares jib; the images profile binds jib:buildTar; the image names.
  compose every moe-stream/* image is one the Maven build names; Kafka is single-node KRaft with
          replication factors 1 and the bootstrap the services use is one of its listeners; the
          property behind SPRING_KAFKA_BOOTSTRAP_SERVERS is the one the services' defaults set; the
          gateway, router and experts have health checks on /actuator/health, wait for a healthy
          Kafka and a finished model job, mount the models volume and agree on MOE_MODEL_DIR (the
          model job's --out), ranks and placement; one expert per rank, one hosting shared experts,
          distinct instance ids; Prometheus scrapes every service's /actuator/prometheus on its
          container port; Grafana mounts the provisioning and dashboards; GPU device reservations
          only with docker-compose.gpu.yml, there on every expert with the nvidia driver.
  k8s     per overlay: every moe-stream workload has readiness and liveness probes on
          /actuator/health/readiness and /liveness at its container port, prometheus.io scrape, port
          and path annotations, CPU and memory requests and a memory limit, images the Maven build
          names (tagged), the model init container when it loads the model, ConfigMaps and Services
          that exist; one expert rank per MOE_RANKS; routing options with valid names; the Kafka
          bootstrap resolves to a Service of the render; gpu overlay: nvidia.com/gpu 1, the nvidia
          toleration and backend gpu or auto on every expert and on nothing else; cpu overlay: no GPU.
"""
import argparse
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

problems = []
ROOT = Path(".")


def problem(where, message):
    if f"{where}: {message}" not in problems:
        problems.append(f"{where}: {message}")


def ok(message):
    print(f"  ok: {message}")


# ---------------------------------------------------------------- Maven

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def pom_properties(root_el):
    props = {}
    el = root_el.find("m:properties", POM_NS)
    if el is not None:
        for child in el:
            props[child.tag.split("}")[1]] = (child.text or "").strip()
    return props


def maven_images(root):
    """The image names the Maven build writes: {repository}/{moe.image.name}:{tag} per jib module."""
    parent = ET.parse(root / "pom.xml").getroot()
    props = pom_properties(parent)
    repo, tag = props.get("moe.image.repository"), props.get("moe.image.tag")
    if not repo or not tag:
        problem("pom.xml", "no moe.image.repository / moe.image.tag properties")
        return set()
    modules = [m.text for m in parent.findall("m:modules/m:module", POM_NS)]
    images_profile = None
    for profile in parent.findall("m:profiles/m:profile", POM_NS):
        if profile.findtext("m:id", namespaces=POM_NS) == "images":
            images_profile = profile
            modules += [m.text for m in profile.findall("m:modules/m:module", POM_NS)]
    if images_profile is None:
        problem("pom.xml", "no images profile")
    else:
        goals = [g.text for g in images_profile.iter("{http://maven.apache.org/POM/4.0.0}goal")]
        if "buildTar" not in goals:
            problem("pom.xml", "the images profile does not bind jib:buildTar")
    images = {}
    for module in modules:
        pom = root / module / "pom.xml"
        if not pom.exists():
            problem(str(pom), "module listed but missing")
            continue
        el = ET.parse(pom).getroot()
        artifacts = [a.text for a in el.iter("{http://maven.apache.org/POM/4.0.0}artifactId")]
        if "jib-maven-plugin" not in artifacts:
            continue
        name = pom_properties(el).get("moe.image.name")
        if not name:
            problem(str(pom), "declares jib-maven-plugin but no moe.image.name")
            continue
        images[f"{repo}/{name}:{tag}"] = module
    for needed in ("gateway-service", "router-service", "expert-service", "cli"):
        if f"{repo}/{needed}:{tag}" not in images:
            problem("pom.xml", f"no module builds the image {repo}/{needed}:{tag}")
    ok(f"Maven builds {len(images)} images: " + ", ".join(sorted(images)))
    return set(images)


def bootstrap_property_names(root):
    """Which Kafka bootstrap property the services' defaults set (the one SPRING_KAFKA_BOOTSTRAP_SERVERS binds)."""
    names = set()
    for path in root.glob("*/src/main/resources/**/*defaults.properties"):
        for line in path.read_text().splitlines():
            m = re.match(r"\s*(spring\.kafka\.[\w.-]*bootstrap-servers)\s*=", line)
            if m:
                names.add(m.group(1))
    return names


def routing_names(root):
    source = root / "pipeline/src/main/java/io/moestream/pipeline/RoutingSettings.java"
    if not source.exists():
        return None
    m = re.search(r"NAMES\s*=\s*new TreeSet<>\(Set\.of\((.*?)\)\)", source.read_text(), re.S)
    return set(re.findall(r'"([a-z-]+)"', m.group(1))) if m else None


def env_names(prop):
    """The environment variables Spring binds to a property: dashes dropped (canonical) or as underscores."""
    return {prop.replace(".", "_").replace("-", "").upper(), prop.replace(".", "_").replace("-", "_").upper()}


# ---------------------------------------------------------------- compose

MOE_SERVICES = ("gateway", "router")


def compose_env(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def container_port(service):
    ports = service.get("ports") or []
    for p in ports:
        if isinstance(p, dict):
            return int(p["target"])
        return int(str(p).split(":")[-1].split("/")[0])
    return None


def check_compose(path, images, bootstrap_props, prom, gpu):
    where = f"compose{' + gpu' if gpu else ''}"
    services = yaml.safe_load(Path(path).read_text())["services"]
    experts = sorted(n for n in services if re.fullmatch(r"expert-\d+", n))
    for needed in ("kafka", "model", "gateway", "router", "prometheus", "grafana"):
        if needed not in services:
            problem(where, f"no service {needed}")
    if not experts:
        problem(where, "no expert-<rank> service")
    moe = [n for n in (*MOE_SERVICES, *experts) if n in services]

    for name, service in services.items():
        image = service.get("image", "")
        if image.startswith("moe-stream/") and image not in images:
            problem(where, f"{name} uses {image}, which the Maven build does not name ({', '.join(sorted(images))})")

    # Kafka: single-node KRaft and a listener for the services.
    kafka = services.get("kafka", {})
    kenv = compose_env(kafka)
    roles = set(kenv.get("KAFKA_PROCESS_ROLES", "").split(","))
    if roles != {"broker", "controller"}:
        problem(where, f"kafka KAFKA_PROCESS_ROLES is {roles}, expected broker,controller")
    for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):
        if kenv.get(key) != "1":
            problem(where, f"kafka {key} must be 1 on a single broker (transactions need it)")
    if "KAFKA_CONTROLLER_QUORUM_VOTERS" not in kenv or "CLUSTER_ID" not in kenv:
        problem(where, "kafka needs KAFKA_CONTROLLER_QUORUM_VOTERS and CLUSTER_ID")
    advertised = {a.split("://", 1)[1] for a in kenv.get("KAFKA_ADVERTISED_LISTENERS", "").split(",") if "://" in a}
    if "kafka" in services and "healthcheck" not in kafka:
        problem(where, "kafka has no healthcheck (the services wait for service_healthy)")

    if not bootstrap_props or not all("SPRING_KAFKA_BOOTSTRAP_SERVERS" in env_names(p) for p in bootstrap_props):
        problem("services", f"the services' defaults set {bootstrap_props or 'no bootstrap property'}; "
                            f"SPRING_KAFKA_BOOTSTRAP_SERVERS does not bind to it")

    model_cmd = " ".join(map(str, services.get("model", {}).get("command") or []))
    out = re.search(r"--out\s+(\S+?);?(\s|$)", model_cmd)
    model_out = out.group(1) if out else None
    if not model_out:
        problem(where, "the model job does not run generate-model --out DIR")

    ranks, placements, model_dirs = set(), set(), set()
    for name in moe:
        service = services[name]
        env = compose_env(service)
        test = " ".join(map(str, (service.get("healthcheck") or {}).get("test") or []))
        port = container_port(service)
        if "/actuator/health" not in test:
            problem(where, f"{name} has no healthcheck on /actuator/health")
        elif port and f":{port}/" not in test:
            problem(where, f"{name}'s healthcheck does not use its container port {port}")
        deps = service.get("depends_on") or {}
        if not isinstance(deps, dict) or (deps.get("kafka") or {}).get("condition") != "service_healthy":
            problem(where, f"{name} must depend on kafka with condition service_healthy")
        if not isinstance(deps, dict) or (deps.get("model") or {}).get("condition") != "service_completed_successfully":
            problem(where, f"{name} must depend on model with condition service_completed_successfully")
        if env.get("SPRING_KAFKA_BOOTSTRAP_SERVERS") not in advertised:
            problem(where, f"{name}'s SPRING_KAFKA_BOOTSTRAP_SERVERS {env.get('SPRING_KAFKA_BOOTSTRAP_SERVERS')} is not "
                           f"an advertised Kafka listener ({', '.join(sorted(advertised))})")
        if not any(str(v).split(":")[1:2] == ["/models"] or (isinstance(v, dict) and v.get("target") == "/models")
                   for v in service.get("volumes") or []):
            problem(where, f"{name} does not mount the models volume on /models")
        model_dirs.add(env.get("MOE_MODEL_DIR"))
        ranks.add(env.get("MOE_RANKS"))
        placements.add(env.get("MOE_PLACEMENT", ""))
        if prom is not None and port:
            target = f"{name}:{port}"
            if target not in prom:
                problem("deploy/prometheus/prometheus.yml", f"no scrape of {target}{'/actuator/prometheus'}")
    if model_dirs != {model_out}:
        problem(where, f"MOE_MODEL_DIR {model_dirs} differs from the model job's --out {model_out}")
    if len(ranks) != 1 or len(placements) != 1:
        problem(where, f"the services disagree on MOE_RANKS {ranks} or MOE_PLACEMENT {placements}")
    rank_count = int(next(iter(ranks))) if len(ranks) == 1 and next(iter(ranks)) else 1

    expert_ranks, shared, ids = [], [], []
    for name in experts:
        env = compose_env(services[name])
        expert_ranks.append(int(env.get("MOE_EXPERT_RANK", "0")))
        shared.append(env.get("MOE_EXPERT_SHARED", "false").lower() == "true")
        ids.append(env.get("MOE_EXPERT_INSTANCE_ID"))
        devices = (((services[name].get("deploy") or {}).get("resources") or {}).get("reservations") or {}).get("devices")
        backend = env.get("MOE_EXPERT_BACKEND", "auto")
        if gpu:
            if not devices or not all(d.get("driver") == "nvidia" and "gpu" in (d.get("capabilities") or [])
                                      for d in devices):
                problem(where, f"{name} reserves no nvidia GPU")
            if backend not in ("gpu", "auto"):
                problem(where, f"{name} has backend {backend} with a GPU reserved")
        elif devices:
            problem(where, f"{name} reserves devices without the GPU override: a host without a GPU could not start it")
    if sorted(expert_ranks) != list(range(rank_count)):
        problem(where, f"expert ranks {sorted(expert_ranks)} do not cover 0..{rank_count - 1} once each")
    if shared.count(True) != 1:
        problem(where, f"{shared.count(True)} experts host the shared experts; exactly one must")
    if None in ids or len(set(ids)) != len(ids):
        problem(where, f"expert instance ids must be set and distinct: {ids}")
    for name, service in services.items():
        if name not in experts and ((service.get("deploy") or {}).get("resources") or {}).get("reservations"):
            problem(where, f"{name} reserves devices")

    grafana = services.get("grafana", {})
    targets = {str(v).split(":")[1] if not isinstance(v, dict) else v.get("target") for v in grafana.get("volumes") or []}
    for needed in ("/etc/grafana/provisioning", "/var/lib/grafana/dashboards"):
        if needed not in targets:
            problem(where, f"grafana does not mount {needed}")
    if not any("prometheus.yml" in str(v) for v in services.get("prometheus", {}).get("volumes") or []):
        problem(where, "prometheus does not mount deploy/prometheus/prometheus.yml")
    # Grafana's provisioned Prometheus datasources must reach the compose Prometheus.
    prom_port = container_port(services.get("prometheus", {}))
    for source in sorted(Path(ROOT, "deploy/grafana/provisioning/datasources").glob("*.y*ml")):
        for ds in (yaml.safe_load(source.read_text()) or {}).get("datasources") or []:
            if ds.get("type") == "prometheus":
                m = re.match(r"https?://([^:/]+):(\d+)", ds.get("url", ""))
                if not m or m.group(1) not in services or int(m.group(2)) != prom_port:
                    problem(str(source), f"datasource {ds.get('name')} url {ds.get('url')} is not the compose "
                                         f"prometheus service on port {prom_port}")
    ok(f"{where}: {len(services)} services, experts {experts}, ranks {sorted(expert_ranks)}")


def prometheus_targets(root):
    path = root / "deploy/prometheus/prometheus.yml"
    if not path.exists():
        problem(str(path), "missing")
        return None
    config = yaml.safe_load(path.read_text())
    targets = set()
    for job in config.get("scrape_configs") or []:
        if job.get("job_name") == "prometheus":
            continue
        if job.get("metrics_path") != "/actuator/prometheus":
            problem(str(path), f"job {job.get('job_name')} does not scrape /actuator/prometheus")
        for static in job.get("static_configs") or []:
            targets.update(static.get("targets") or [])
    return targets


# ---------------------------------------------------------------- k8s

def check_k8s(overlay, path, images, names):
    where = f"k8s/overlays/{overlay}"
    docs = [d for d in yaml.safe_load_all(Path(path).read_text()) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    configmaps = by_kind.get("ConfigMap", {})
    services = by_kind.get("Service", {})
    workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")
                 and d["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "moe-stream"]
    if {w["metadata"]["name"] for w in workloads} < {"gateway", "router"}:
        problem(where, "no gateway or router workload")

    moe_config = next((cm["data"] for name, cm in configmaps.items() if name.startswith("moe-config")), None)
    if moe_config is None:
        problem(where, "no moe-config ConfigMap")
        moe_config = {}
    rank_count = int(moe_config.get("MOE_RANKS", "1") or 1)

    bootstrap = moe_config.get("SPRING_KAFKA_BOOTSTRAP_SERVERS", "")
    host, _, port = bootstrap.partition(":")
    if not bootstrap:
        problem(where, "moe-config has no SPRING_KAFKA_BOOTSTRAP_SERVERS")
    elif "." not in host:
        svc = services.get(host)
        if svc is None or int(port or 0) not in [p["port"] for p in svc["spec"]["ports"]]:
            problem(where, f"the Kafka bootstrap {bootstrap} is no Service of this render (add the kafka component "
                           f"or give a fully qualified external address)")

    gpu_overlay = overlay == "gpu"
    expert_ranks, shared = [], 0
    for w in workloads:
        name = w["metadata"]["name"]
        labels = w["metadata"].get("labels", {})
        spec = w["spec"]["template"]["spec"]
        annotations = w["spec"]["template"]["metadata"].get("annotations", {})
        pod_labels = w["spec"]["template"]["metadata"].get("labels", {})
        if not any(all(pod_labels.get(k) == v for k, v in s["spec"].get("selector", {}).items())
                   and s["spec"].get("selector") for s in services.values()):
            problem(where, f"{name}: no Service selects its pods")
        for c in spec["containers"]:
            cname = f"{name}/{c['name']}"
            ports = [p["containerPort"] for p in c.get("ports", [])]
            named = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            for probe, suffix in (("readinessProbe", "readiness"), ("livenessProbe", "liveness")):
                get = (c.get(probe) or {}).get("httpGet") or {}
                if get.get("path") != f"/actuator/health/{suffix}":
                    problem(where, f"{cname}: {probe} is not an httpGet of /actuator/health/{suffix}")
                elif named.get(get.get("port"), get.get("port")) not in ports:
                    problem(where, f"{cname}: {probe} port {get.get('port')} is not a container port")
            if annotations.get("prometheus.io/scrape") != "true" or annotations.get("prometheus.io/path") != \
                    "/actuator/prometheus" or int(annotations.get("prometheus.io/port", 0)) not in ports:
                problem(where, f"{name}: prometheus.io scrape/port/path annotations missing or not its port")
            res = c.get("resources") or {}
            if not {"cpu", "memory"} <= set((res.get("requests") or {})) or "memory" not in (res.get("limits") or {}):
                problem(where, f"{cname}: needs cpu and memory requests and a memory limit")
            gpus = (res.get("limits") or {}).get("nvidia.com/gpu")
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            is_expert = labels.get("app.kubernetes.io/name") == "expert"
            if is_expert:
                expert_ranks.append(int(env.get("MOE_EXPERT_RANK", "0")))
                shared += env.get("MOE_EXPERT_SHARED", "false") == "true"
                backend = env.get("MOE_EXPERT_BACKEND", "auto")
                if gpu_overlay:
                    if str(gpus) != "1":
                        problem(where, f"{cname}: requests nvidia.com/gpu {gpus}, expected 1")
                    if not any(t.get("key") == "nvidia.com/gpu" for t in spec.get("tolerations", [])):
                        problem(where, f"{name}: no toleration for nvidia.com/gpu")
                    if backend not in ("gpu", "auto"):
                        problem(where, f"{cname}: backend {backend} on a GPU pod")
                elif backend == "gpu":
                    problem(where, f"{cname}: backend gpu without a GPU")
            if gpus is not None and not (gpu_overlay and is_expert):
                problem(where, f"{cname}: requests nvidia.com/gpu outside the gpu overlay's experts")
        for c in spec.get("initContainers", []) + spec["containers"]:
            image = c["image"]
            if image.startswith("moe-stream/") and image not in images:
                problem(where, f"{name}/{c['name']} uses {image}, not an image the Maven build names")
            for ref in c.get("envFrom", []):
                cm = (ref.get("configMapRef") or {}).get("name")
                if cm and cm not in configmaps:
                    problem(where, f"{name}/{c['name']} reads ConfigMap {cm}, which is not in the render")
        for v in spec.get("volumes", []):
            cm = (v.get("configMap") or {}).get("name")
            if cm and cm not in configmaps:
                problem(where, f"{name} mounts ConfigMap {cm}, which is not in the render")
        if labels.get("moe-stream.io/loads-model") == "true":
            init = [c for c in spec.get("initContainers", []) if c["name"] == "model"]
            if not init or "generate-model" not in " ".join(init[0].get("args", []) + init[0].get("command", [])):
                problem(where, f"{name}: loads the model but has no model init container")
            mounts = {m["mountPath"] for c in spec["containers"] for m in c.get("volumeMounts", [])}
            if not moe_config.get("MOE_MODEL_DIR", "").startswith("/models/") or "/models" not in mounts:
                problem(where, f"{name}: MOE_MODEL_DIR is not under its /models mount")
        if name == "router":
            env = {e["name"]: e.get("value") for e in spec["containers"][0].get("env", [])}
            location = env.get("SPRING_CONFIG_ADDITIONAL_LOCATION", "")
            mounts = {m["mountPath"].rstrip("/") for m in spec["containers"][0].get("volumeMounts", [])}
            if location.replace("optional:", "").replace("file:", "").rstrip("/") not in mounts:
                problem(where, "router: SPRING_CONFIG_ADDITIONAL_LOCATION is not the routing ConfigMap's mount")
    if sorted(expert_ranks) != list(range(rank_count)):
        problem(where, f"expert ranks {sorted(expert_ranks)} do not cover 0..{rank_count - 1} (MOE_RANKS) once each")
    if shared != 1:
        problem(where, f"{shared} expert ranks host the shared experts; exactly one must")

    routing = next((cm["data"] for n, cm in configmaps.items() if n.startswith("moe-routing")), None)
    if routing is None or "application.properties" not in routing:
        problem(where, "no moe-routing ConfigMap with application.properties")
    elif names:
        for line in routing["application.properties"].splitlines():
            m = re.match(r"\s*moe\.routing\.([\w-]+)\s*=", line)
            if m and m.group(1) not in names:
                problem(where, f"routing option {m.group(1)} is not one of {', '.join(sorted(names))}")
    if not gpu_overlay and "nvidia.com/gpu" in Path(path).read_text():
        problem(where, "mentions nvidia.com/gpu outside the gpu overlay")
    ok(f"{where}: {len(workloads)} workloads, {len(services)} services, expert ranks {sorted(expert_ranks)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--compose", required=True)
    parser.add_argument("--compose-gpu", required=True)
    parser.add_argument("--k8s", action="append", default=[], help="OVERLAY=RENDERED.yaml")
    args = parser.parse_args()
    global ROOT
    ROOT = args.root

    images = maven_images(args.root)
    bootstrap = bootstrap_property_names(args.root)
    prom = prometheus_targets(args.root)
    check_compose(args.compose, images, bootstrap, prom, gpu=False)
    check_compose(args.compose_gpu, images, bootstrap, prom, gpu=True)
    names = routing_names(args.root)
    overlays = dict(item.split("=", 1) for item in args.k8s)
    for needed in ("cpu", "gpu"):
        if needed not in overlays:
            problem("k8s", f"overlay {needed} was not rendered")
    for overlay, path in sorted(overlays.items()):
        check_k8s(overlay, path, {i for i in images}, names)

    if problems:
        print(f"check-deploy: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        sys.exit(1)
    print("check-deploy: all checks passed")


if __name__ == "__main__":
    main()
