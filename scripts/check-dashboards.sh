#!/usr/bin/env bash
# Proves that every query of every panel of the Grafana dashboards in deploy/grafana/dashboards
# returns data from the real services:
#   1. validates each dashboard (JSON parses, unique panel ids, every target has an expression and the
#      datasource uid "prometheus");
#   2. starts `./moe local` with the broker and every service on free ports;
#   3. starts Prometheus (the `prometheus` binary, Debian package `prometheus`) on a free port with a
#      temporary storage directory, scraping every service's /actuator/prometheus every second;
#   4. sends real traffic: prompts through REST (POST /v1/prompts) under token-drop, token-reroute,
#      expanded-drop and rectify at capacity factor 1.0, switched live on the control topic, plus a few
#      bad records (a rejected REST prompt, a malformed prompt record, an invalid control record,
#      undecodable token and dispatch records) so that the dead-letter counters exist;
#   5. checks that the router's dropped, rerouted, expanded, rectified and filled slot counters moved,
#      then runs every panel target as an instant query (/api/v1/query), Grafana variables substituted,
#      and fails, naming the dashboard, panel and expression, if one returns an error or no series
#      (a query may be retried until CHECK_QUERY_WAIT_S: some Kafka client metrics appear only after
#      Micrometer's one-minute refresh of the bound Kafka metrics).
# Everything it starts is stopped on exit. Run it after `./mvnw -B verify` (./moe rebuilds the cli only
# if sources are newer than its jar). Takes about 2-3 minutes on a 2-core machine.
#
# Environment (all optional):
#   MOE_LAUNCHER         command that runs the CLI (default: ./moe at the repository root)
#   PROMETHEUS           the Prometheus binary (default: prometheus on PATH, else /usr/bin/prometheus)
#   CHECK_RANKS          expert ranks of the local stack (default 2)
#   CHECK_PROMPTS        prompts per policy (default 40)
#   CHECK_STARTUP_S      how long to wait for ./moe local (default 600, it may build first)
#   CHECK_QUERY_WAIT_S   how long failing queries are retried (default 150)
#   CHECK_DASHBOARDS     the directory of dashboard JSON files (default deploy/grafana/dashboards)
#   CHECK_KEEP=1         keep the temporary directory (logs, prometheus.yml) for inspection
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dashboards="${CHECK_DASHBOARDS:-$root/deploy/grafana/dashboards}"
launcher="${MOE_LAUNCHER:-$root/moe}"
ranks="${CHECK_RANKS:-2}"
prompts_per_policy="${CHECK_PROMPTS:-40}"
startup_s="${CHECK_STARTUP_S:-600}"
query_wait_s="${CHECK_QUERY_WAIT_S:-150}"
started_at=$SECONDS

say() { printf 'check-dashboards: %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/moe-check-dashboards.XXXXXX")"
stack_pid=""
prometheus_pid=""

stop() { # stop PID NAME: TERM to its process group (or itself), then KILL after 30 s
    local pid="$1" name="$2" waited=0
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((waited < 300)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name did not stop within 30 s: killing it"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop "$prometheus_pid" prometheus
    stop "$stack_pid" "./moe local"
    if [[ "${CHECK_KEEP:-}" == 1 ]]; then
        say "kept $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a command in the background in its own process group when setsid is there, so that stop()
# reaches its children too (./moe may run a Maven build before it execs java).
background() { # background OUT ERR COMMAND...: sets bg_pid
    local out="$1" err="$2"
    shift 2
    if command -v setsid >/dev/null; then
        setsid "$@" >"$out" 2>"$err" </dev/null &
    else
        "$@" >"$out" 2>"$err" </dev/null &
    fi
    bg_pid=$!
}

# ---------------------------------------------------------------------------------------------------
# The Python half: dashboard validation, traffic and queries (standard library only).
cat >"$work/check.py" <<'PYTHON'
import concurrent.futures
import glob
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def fail(message):
    print(f"check-dashboards: FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def panels_of(dashboard):
    """Every panel, rows' nested panels included, in order."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", []) or []


def load_dashboards(directory):
    files = sorted(glob.glob(os.path.join(directory, "*.json")))
    if not files:
        fail(f"no dashboards (*.json) in {directory}")
    boards = []
    for path in files:
        name = os.path.basename(path)
        try:
            with open(path) as f:
                boards.append((name, json.load(f)))
        except (OSError, ValueError) as e:
            fail(f"{name}: not valid JSON: {e}")
    return boards


def validate(directory):
    problems = []
    uids = {}
    boards = load_dashboards(directory)
    for name, board in boards:
        before = len(problems)
        for key in ("uid", "title", "panels", "schemaVersion"):
            if key not in board:
                problems.append(f"{name}: no {key!r}")
        uid = board.get("uid")
        if uid in uids:
            problems.append(f"{name}: uid {uid!r} also in {uids[uid]}")
        uids[uid] = name
        ids = {}
        targets = 0
        for panel in panels_of(board):
            title = panel.get("title", "?")
            pid = panel.get("id")
            if not isinstance(pid, int):
                problems.append(f"{name}: panel {title!r} has no integer id")
            elif pid in ids:
                problems.append(f"{name}: panel id {pid} used by {ids[pid]!r} and {title!r}")
            else:
                ids[pid] = title
            if panel.get("type") == "row":
                continue
            if not panel.get("targets"):
                problems.append(f"{name}: panel {title!r} has no targets")
            for target in panel.get("targets", []):
                targets += 1
                if not str(target.get("expr", "")).strip():
                    problems.append(f"{name}: panel {title!r} target {target.get('refId')}: empty expr")
                for where, ds in (("panel", panel.get("datasource")), ("target", target.get("datasource"))):
                    if ds is not None and not (isinstance(ds, dict) and ds.get("uid") in ("prometheus", "${datasource}")):
                        problems.append(f"{name}: panel {title!r}: {where} datasource {ds!r} is not uid prometheus")
        if len(problems) == before:
            print(f"valid {name}: {board.get('title')!r}, uid {uid}, {len(ids)} panels with unique ids, "
                  f"{targets} targets")
    if problems:
        for p in problems:
            print(f"check-dashboards: invalid: {p}", file=sys.stderr)
        fail(f"{len(problems)} dashboard problem(s)")


# ---------------------------------------------------------------------------------------------------
def http(method, url, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"content-type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Producer:
    """A Kafka producer in a JVM (Produce.java), fed one tab-separated record per line."""

    def __init__(self, java, classpath, source_dir, bootstrap):
        self.process = subprocess.Popen([java, "-cp", f"{source_dir}:{classpath}", "Produce", bootstrap],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def send(self, topic, key, value):
        self.process.stdin.write(f"{topic}\t{key}\t{value}\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if answer != "ok":
            fail(f"could not produce to {topic}: {answer or 'the producer exited'}")

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def wait_result(gateway, rid, deadline):
    while time.time() < deadline:
        status, body = http("GET", f"{gateway}/v1/results/{rid}")
        if status == 200:
            return json.loads(body)
        if status not in (202, 404):
            fail(f"GET /v1/results/{rid}: {status} {body}")
        time.sleep(0.1)
    fail(f"no result for {rid} in time")


def post_prompt(gateway, body):
    status, text = http("POST", f"{gateway}/v1/prompts", body)
    if status != 202:
        fail(f"POST /v1/prompts {body.get('id')}: {status} {text}")


def switch(producer, topics, gateway, policy, capacity_factor, probe):
    producer.send(topics + "control", "routing",
                  json.dumps({"policy": policy, "capacity-factor": capacity_factor}))
    deadline = time.time() + 60
    while time.time() < deadline:
        rid = f"check-probe-{probe[0]}"
        probe[0] += 1
        post_prompt(gateway, {"id": rid, "tokens": [0]})
        result = wait_result(gateway, rid, time.time() + 30)
        if result.get("policy") == policy and result.get("capacityFactor") == capacity_factor:
            return
        time.sleep(0.2)
    fail(f"the router did not switch to {policy} at capacity factor {capacity_factor} within 60 s")


def bad_records(producer, topics):
    """One record each that the gateway, the router and an expert service must dead-letter."""
    producer.send(topics + "layer-prompts", "check-malformed", "{not json")
    producer.send(topics + "control", "routing", json.dumps({"policy": "no-such-policy"}))
    producer.send(topics + "tokens", "check-garbage", "not a token batch")
    producer.send(topics + "expert.0", "check-garbage", "not a dispatch")


def traffic(gateway, bootstrap, topics, corpus, per_policy, java, classpath, source_dir):
    with open(corpus) as f:
        texts = [json.loads(line)["prompt"] for line in f if line.strip()]
    producer = Producer(java, classpath, source_dir, bootstrap)
    probe = [0]
    try:
        # Bad input, so the rejection and dead-letter counters exist (each service keeps flowing).
        status, _ = http("POST", f"{gateway}/v1/prompts", {"id": "check-bad", "prompt": ""})
        print(f"traffic: empty REST prompt answered {status} (expected 400)", flush=True)
        bad_records(producer, topics)
        offset = 0
        for policy in ("token-drop", "token-reroute", "expanded-drop", "rectify"):
            switch(producer, topics, gateway, policy, 1.0, probe)
            begin = time.time()
            ids = []
            for i in range(per_policy):
                rid = f"check-{policy}-{i}"
                post_prompt(gateway, {"id": rid, "prompt": texts[(offset + i) % len(texts)]})
                ids.append(rid)
            offset += per_policy
            deadline = time.time() + 180
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                results = list(pool.map(lambda rid: wait_result(gateway, rid, deadline), ids))
            routing = {k: sum(r.get("routing", {}).get(k, 0) for r in results)
                       for k in ("kept", "dropped", "rerouted", "expanded", "rectified", "filled")}
            tokens = sum(r.get("tokens", 0) for r in results)
            statuses = sorted({r.get("status") for r in results})
            print(f"traffic: {policy:<13} capacity factor 1.0: {len(results)} prompts, {tokens} tokens in "
                  f"{time.time() - begin:.1f} s, status {','.join(statuses)}; slots "
                  + " ".join(f"{k} {v}" for k, v in routing.items()), flush=True)
            # Whole-model completions, so the dense workers' per-layer panels have data under each policy.
            for i in range(4):
                status, text = http("POST", f"{gateway}/v1/completions",
                                    {"prompt": texts[(offset + i) % len(texts)], "max_tokens": 8, "temperature": 0},
                                    timeout=120)
                if status != 200:
                    fail(f"POST /v1/completions under {policy}: {status} {text}")
            print(f"traffic: {policy:<13} 4 completions of 8 tokens through the dense workers", flush=True)
        # Again: a counter is born at its first increment, so only a second one shows as a rate.
        bad_records(producer, topics)
    finally:
        producer.close()


# ---------------------------------------------------------------------------------------------------
def prom_query(prometheus, expr):
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        status, body = http("GET", url, timeout=30)
    except OSError as e:
        return "error", str(e)
    try:
        answer = json.loads(body)
    except ValueError:
        return "error", f"HTTP {status}: {body[:200]}"
    if answer.get("status") != "success":
        return "error", f"{answer.get('errorType')}: {answer.get('error')}"
    data = answer["data"]
    result = data["result"]
    if data["resultType"] == "scalar":
        return "ok", [{"metric": {}, "value": result}]
    if not result:
        return "empty", []
    return "ok", result


def wait_for(prometheus, expr, deadline):
    while True:
        state, result = prom_query(prometheus, expr)
        if state == "ok" or time.time() >= deadline:
            return state, result
        time.sleep(1)


def substitute(expr, window_s, variables):
    """Grafana's variables: rate windows and ranges as the time since the traffic began; template
    variables as a regex matching every value."""
    values = {
        "__rate_interval": f"{window_s}s", "__interval": "5s", "__interval_ms": "5000",
        "__range": f"{window_s}s", "__range_s": str(window_s), "__range_ms": str(window_s * 1000),
    }
    for name in variables:
        values.setdefault(name, ".*")

    def one(match):
        name = match.group(1) or match.group(2) or match.group(3)
        if name not in values:
            fail(f"unknown Grafana variable ${name} in: {expr}")
        return values[name]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)", one, expr)


def sample(result):
    value = result[0]["value"][1]
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value


def query_all(directory, prometheus, window_s, wait_s):
    # The traffic must have moved the counters each panel family shows.
    deadline = time.time() + wait_s
    moved = []
    for kind in ("demand", "kept", "dropped", "rerouted", "expanded", "rectified", "filled"):
        expr = f'sum(moe_router_slots_total{{kind="{kind}"}}) > 0'
        state, result = wait_for(prometheus, expr, deadline)
        if state != "ok":
            fail(f"the router's {kind} slots did not move: {expr} is {state}")
        moved.append(f"{kind} {sample(result)}")
    for expr in ("sum(moe_gateway_requests_total) > 0", "sum(moe_expert_busy_seconds_count) > 0"):
        state, result = wait_for(prometheus, expr, deadline)
        if state != "ok":
            fail(f"no traffic seen: {expr} is {state}")
    print("counters moved: slots " + ", ".join(moved), flush=True)

    checks = []
    for name, board in load_dashboards(directory):
        variables = [v["name"] for v in board.get("templating", {}).get("list", [])]
        for panel in panels_of(board):
            if panel.get("type") == "row":
                continue
            for target in panel.get("targets", []):
                checks.append((name, panel.get("title", "?"), target.get("refId", "?"), target["expr"],
                               substitute(target["expr"], window_s, variables)))
    outcome = {}
    pending = list(range(len(checks)))
    while True:
        still = []
        for i in pending:
            outcome[i] = prom_query(prometheus, checks[i][4])
            if outcome[i][0] != "ok":
                still.append(i)
        pending = still
        if not pending or time.time() >= deadline:
            break
        time.sleep(2)
    failures = 0
    panels = set()
    for i, (name, title, ref, expr, query) in enumerate(checks):
        state, result = outcome[i]
        panels.add((name, title))
        if state == "ok":
            print(f"ok    {name} | {title} [{ref}]: {len(result)} series, e.g. {sample(result)}")
        else:
            failures += 1
            detail = result if state == "error" else "no series"
            print(f"FAIL  {name} | {title} [{ref}]: {state} ({detail})\n      expr:  {expr}\n      query: {query}")
    boards = len({c[0] for c in checks})
    print(f"summary: {boards} dashboards, {len(panels)} panels, {len(checks)} queries: "
          f"{len(checks) - failures} returned data, {failures} failed (rate windows and ranges {window_s}s)",
          flush=True)
    if failures:
        fail(f"{failures} panel queries returned no data or an error")


def main():
    command = sys.argv[1]
    if command == "validate":
        validate(sys.argv[2])
    elif command == "traffic":
        traffic(*sys.argv[2:6], int(sys.argv[6]), *sys.argv[7:10])
    elif command == "query":
        query_all(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif command == "free-port":
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            print(s.getsockname()[1])
    elif command == "wait-targets":
        prometheus, expected, deadline = sys.argv[2], int(sys.argv[3]), time.time() + int(sys.argv[4])
        while time.time() < deadline:
            try:
                _, body = http("GET", f"{prometheus}/api/v1/targets?state=active")
                targets = json.loads(body)["data"]["activeTargets"]
                up = [t for t in targets if t["health"] == "up"]
                if len(up) >= expected:
                    print(f"prometheus scrapes {len(up)} targets: "
                          + ", ".join(sorted(t["labels"]["job"] for t in up)))
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(1)
        fail(f"prometheus does not scrape {expected} targets: see {prometheus}/targets")
    else:
        fail(f"unknown command {command}")


main()
PYTHON

cat >"$work/Produce.java" <<'JAVA'
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** Produce BOOTSTRAP: reads "topic TAB key TAB value" lines, sends each, answers "ok" once acknowledged. */
public class Produce {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0], ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new StringSerializer())) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] part = line.split("\t", 3);
                try {
                    producer.send(new ProducerRecord<>(part[0], part[1], part[2])).get();
                    System.out.println("ok");
                } catch (Exception e) {
                    System.out.println("error " + e);
                }
                System.out.flush();
            }
        }
    }
}
JAVA

py() { python3 "$work/check.py" "$@"; }

# await_ready NAME PID LOG SECONDS TEST...: waits until TEST succeeds; fails, with the log's tail, if the
# process exits first, or when the time is up.
await_ready() {
    local name="$1" pid="$2" log="$3" limit="$4" deadline
    shift 4
    deadline=$((SECONDS + limit))
    until "$@"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 40 "$log" >&2 || true
            die "$name exited before it was ready (log above)"
        fi
        ((SECONDS < deadline)) || die "$name was not ready within $limit s (log: $log; CHECK_KEEP=1 keeps it)"
        sleep 0.5
    done
}

# ---------------------------------------------------------------------------------------------------
say "validating $dashboards"
py validate "$dashboards"

prometheus_bin="${PROMETHEUS:-$(command -v prometheus || true)}"
[[ -z "$prometheus_bin" && -x /usr/bin/prometheus ]] && prometheus_bin=/usr/bin/prometheus
if [[ -z "$prometheus_bin" || ! -x "$prometheus_bin" ]]; then
    die "prometheus is not installed (Debian/Ubuntu: apt-get install -y prometheus; or set PROMETHEUS=/path/to/prometheus)"
fi
for tool in python3 curl; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$java_bin" >/dev/null || die "no java (a JDK 17) on PATH or in JAVA_HOME"
say "using $("$prometheus_bin" --version 2>&1 | head -n 1)"

broker_port="$(py free-port)"
say "starting ./moe local (ranks $ranks, broker on port $broker_port, services on free ports, token-drop at capacity factor 1.0)"
# Free ports everywhere, so that a ./moe local already running is left alone; its output says where.
background "$work/local.out" "$work/local.log" "$launcher" local --ranks "$ranks" --port "$broker_port" \
    --gateway-port 0 --router-port 0 --expert-port 0 --policy token-drop --capacity-factor 1.0
stack_pid=$bg_pid
await_ready "./moe local" "$stack_pid" "$work/local.log" "$startup_s" grep -qs 'Ctrl-C stops everything' "$work/local.out"
stack_up=$SECONDS
sed -n '/local mode is up/,$p' "$work/local.out" | sed 's/^/  /' >&2

gateway="$(sed -nE 's#.*POST (http://[^ ]+)/v1/prompts.*#\1#p' "$work/local.out" | head -n 1)"
topics="$(sed -nE 's#.*\(topics ([^*]+)\*.*#\1#p' "$work/local.out" | head -n 1)"
bootstrap="$(sed -nE 's#^ *Kafka +([^ ]+) .*#\1#p' "$work/local.out" | head -n 1)"
mapfile -t services < <(sed -nE 's#^ +([a-z0-9-]+) +(https?://[^ ]+/actuator/prometheus) *$#\1 \2#p' "$work/local.out")
[[ -n "$gateway" && -n "$topics" && -n "$bootstrap" ]] || die "cannot read the gateway, topics or broker from ./moe local's output"
((${#services[@]} == ranks + 2)) || die "expected $((ranks + 2)) metrics endpoints in ./moe local's output, found ${#services[@]}"

prometheus_port="$(py free-port)"
prometheus="http://127.0.0.1:$prometheus_port"
{
    printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n'
    for line in "${services[@]}"; do
        name="${line%% *}"
        url="${line#* }"
        hostport="$(sed -E 's#https?://([^/]+)/.*#\1#' <<<"$url")"
        path="/${url#*://*/}"
        printf '  - job_name: %s\n    metrics_path: %s\n    static_configs:\n      - targets: ["%s"]\n' \
            "$name" "$path" "$hostport"
    done
} >"$work/prometheus.yml"
mkdir -p "$work/tsdb"
say "starting prometheus on port $prometheus_port, scraping ${#services[@]} services every second"
background "$work/prometheus.out" "$work/prometheus.log" "$prometheus_bin" --config.file="$work/prometheus.yml" \
    --storage.tsdb.path="$work/tsdb" --storage.tsdb.retention.time=1h --web.listen-address="127.0.0.1:$prometheus_port" \
    --log.level=warn
prometheus_pid=$bg_pid
await_ready prometheus "$prometheus_pid" "$work/prometheus.log" 60 curl -fs -o /dev/null "$prometheus/-/ready"
py wait-targets "$prometheus" "${#services[@]}" 60

traffic_began=$SECONDS
classpath="$(compgen -G "$root/cli/target/lib/kafka-clients-*.jar" | head -n 1)" \
    || die "no cli/target/lib/kafka-clients-*.jar: build first (./mvnw -B verify)"
"${JAVA_HOME:+$JAVA_HOME/bin/}javac" -nowarn -d "$work/classes" -cp "$classpath" "$work/Produce.java"
slf4j="$(compgen -G "$root/cli/target/lib/slf4j-api-*.jar" | head -n 1 || true)"
say "sending traffic: $prompts_per_policy prompts per policy through POST $gateway/v1/prompts"
py traffic "$gateway" "$bootstrap" "$topics" "$root/common/src/main/resources/io/moestream/text/prompts.jsonl" \
    "$prompts_per_policy" "$java_bin" "$classpath${slf4j:+:$slf4j}" "$work/classes"

# Micrometer binds the Kafka clients' metrics at start and again every 60 s: the per-partition lag and
# per-topic metrics exist only from that refresh on.
refresh_at=$((stack_up + 65))
if ((SECONDS < refresh_at)); then
    say "waiting $((refresh_at - SECONDS)) s for Micrometer's refresh of the Kafka client metrics"
    sleep $((refresh_at - SECONDS))
fi
sleep 3 # a few more scrapes after the last result
# Rate windows and ranges span the whole traffic (plus a margin), so every rate() has samples of it.
window=$((SECONDS - traffic_began + 10))
((window >= 30)) || window=30
say "querying every panel target (retrying those without data for up to $query_wait_s s)"
py query "$dashboards" "$prometheus" "$window" "$query_wait_s"
say "all panel queries returned data ($((SECONDS - started_at)) s in all)"
