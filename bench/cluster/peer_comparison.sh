#!/usr/bin/env bash
# peer_comparison.sh: hogar (one daemon, then the 3-node local cluster) vs the Ray Serve peer,
# same machine, same run, same client, same answers.
#
#   bash bench/cluster/peer_comparison.sh [--requests N] [--ray-requests M]
#        [--output bench/results/cluster_peer.md] [--concurrency "1 8 64"]
#        [--images-per-worker K] [--encoding binary|json] [--skip-ray]
#
# 1. hogar on one daemon: starts config/local-cluster/node1.ini in the background (logs in a
#    temp dir), polls `hogar nodes --json` until it is alive, submits
#    config/graphs/image-analysis-simulated.yaml, waits for GET /v2/models/image-analysis/ready = 200,
#    sends one sample request (its answer is kept), runs bench/cluster/ray_peer/load.py at each
#    concurrency (N requests each), and stops the daemon (SIGTERM, then waits);
# 2. the same on the 3-node local cluster (node1..node3, requests to node1);
# 3. runs bench/cluster/ray_peer/run_peer.sh (Ray Serve, same client, same images, same costs:
#    detector 2 ms, plate reader 1 ms, same sample request) with M requests per concurrency
#    (default M = N); hogar is stopped before Ray starts: they never share the cores;
# 4. writes markdown tables (rps / p50 / p99 of each hogar setup and of Ray, the ratios, and
#    whether the sample answers were identical) to the output file.
# Daemons and Ray are always stopped, on success, failure or Ctrl-C. If Ray cannot be installed
# or started, the file still gets hogar's half and says why Ray's is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
requests=300
ray_requests=""
output="bench/results/cluster_peer.md"
concurrencies="1 8 64"
images_per_worker=8          # as run_peer.sh: the car branch runs on about half the requests
encoding=binary              # load.py --encoding: binary (tensor extension) or json
skip_ray=0
cluster_deadline_s=30        # all members alive
ready_deadline_s=30          # graph deployed and ready
hogard="build/tools/hogard"
hogar="build/tools/hogar"
graph="config/graphs/image-analysis-simulated.yaml"
http_port=8701
command_line="bash bench/cluster/peer_comparison.sh $*"

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --ray-requests) ray_requests="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --concurrency) concurrencies="$2"; shift 2 ;;
    --images-per-worker) images_per_worker="$2"; shift 2 ;;
    --encoding) encoding="$2"; shift 2 ;;
    --skip-ray) skip_ray=1; shift ;;
    -h|--help) usage ;;
    *) echo "peer_comparison.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
ray_requests="${ray_requests:-$requests}"

say() { echo "peer_comparison.sh: $*" >&2; }
for b in "$hogard" "$hogar"; do
  [[ -x "$b" ]] || { say "$b is missing: build first (cmake --build build)"; exit 1; }
done
"$python" -c 'import aiohttp, numpy' 2>/dev/null \
  || { say "load.py needs aiohttp and numpy: $python -m pip install aiohttp numpy"; exit 1; }

workdir="$(mktemp -d -t peer_comparison.XXXXXX)"
ray_results="$workdir/ray.jsonl"
ray_log="$workdir/run_peer.log"
: > "$ray_results"
daemon_pids=()
peer_pid=""

stop_daemons() {
  local pid
  for pid in "${daemon_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # They drain (in-flight requests answered) within drain-timeout-ms (10 s by default).
  for pid in "${daemon_pids[@]}"; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      say "hogard pid $pid still running 15 s after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  daemon_pids=()
}

stop_peer() {
  [[ -n "$peer_pid" ]] || return 0
  if kill -0 "$peer_pid" 2>/dev/null; then
    # run_peer.sh's own trap stops the Serve app and runs `ray stop --force`.
    kill -TERM "$peer_pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$peer_pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$peer_pid" 2>/dev/null; then
      kill -KILL "$peer_pid" 2>/dev/null || true
      say "run_peer.sh did not stop within 30 s; stopping Ray here"
      ray_bin="$(dirname "$(command -v "$python")")/ray"
      [[ -x "$ray_bin" ]] || ray_bin="$(command -v ray || true)"
      [[ -n "$ray_bin" ]] && "$ray_bin" stop --force >/dev/null 2>&1 || true
    fi
  fi
  wait "$peer_pid" 2>/dev/null || true
  peer_pid=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_daemons
  stop_peer
  if [[ $rc -ne 0 ]]; then
    say "failed (rc $rc); logs in $workdir"
    for f in "$workdir"/*node*.log; do
      [[ -s "$f" ]] && { say "last lines of $f:"; tail -n 15 "$f" >&2; }
    done
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- hogar -------------------------------------------------------------------------------
for port in 7701 7702 7703 8701 8702 8703; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    say "port $port on 127.0.0.1 is taken (another hogard or test?); stop it first"
    exit 1
  fi
done

alive_count() {
  "$hogar" nodes --json --timeout-ms 1000 2>/dev/null | "$python" -c '
import json, sys
try:
    print(sum(1 for n in json.load(sys.stdin) if n.get("state") == "alive"))
except Exception:
    print(0)'
}

# CPU time (user + system, clock ticks) of the running daemons together.
daemons_cpu_ticks() {
  local pid total=0
  for pid in "${daemon_pids[@]}"; do
    total=$(( total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
  done
  echo "$total"
}

# run_hogar SETUP NODES: starts node1..nodeNODES of config/local-cluster, submits the graph,
# sends the sample request, runs the load at every concurrency (one JSON line each in
# $workdir/SETUP.jsonl, CPU ticks in $workdir/SETUP_cpu*, load averages in
# $workdir/SETUP_loadavg), and stops the daemons.
run_hogar() {
  local setup="$1" nodes="$2" n c
  : > "$workdir/$setup.jsonl"
  say "hogar, $setup: starting $nodes daemon(s) (logs in $workdir)"
  for n in $(seq 1 "$nodes"); do
    "$hogard" --config "config/local-cluster/node$n.ini" > "$workdir/$setup-node$n.log" 2>&1 &
    daemon_pids+=($!)
  done
  local start_s deadline
  start_s=$(date +%s.%N)
  deadline=$(( $(date +%s) + cluster_deadline_s ))
  until [[ "$(alive_count)" == "$nodes" ]]; do
    for pid in "${daemon_pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { say "a hogard exited before the cluster formed"; exit 1; }
    done
    (( $(date +%s) < deadline )) || { say "$nodes members not alive within ${cluster_deadline_s} s"; exit 1; }
    sleep 0.25
  done
  say "$nodes member(s) alive after $("$python" -c "import time; print(round(time.time() - $start_s, 2))") s"

  "$hogar" submit "$graph" >&2 || { say "hogar submit $graph failed"; exit 1; }
  local base="http://127.0.0.1:$http_port"
  deadline=$(( $(date +%s) + ready_deadline_s ))
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/v2/models/image-analysis/ready")" == 200 ]]; do
    (( $(date +%s) < deadline )) || { say "image-analysis not ready on $base within ${ready_deadline_s} s"; exit 1; }
    sleep 0.25
  done
  local url="$base/v2/models/image-analysis/infer" sample
  sample="$("$python" bench/cluster/ray_peer/load.py --url "$url" --sample --encoding "$encoding")" \
    || { say "the sample request failed: $sample"; exit 1; }
  printf '%s\n' "$sample" > "$workdir/$setup.sample"
  say "sample answer: ${sample:0:600}"

  for c in $concurrencies; do
    echo "$c $(daemons_cpu_ticks)" >> "$workdir/${setup}_cpu_before"
    local loadavg
    loadavg="$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "$c $loadavg" >> "$workdir/${setup}_loadavg"
    say "hogar, $setup: $requests requests at concurrency $c (load average: $loadavg)"
    "$python" bench/cluster/ray_peer/load.py --url "$url" --requests "$requests" \
      --concurrency "$c" --images-per-worker "$images_per_worker" --encoding "$encoding" \
      | tee -a "$workdir/$setup.jsonl" || hogar_status=1
    echo "$c $(daemons_cpu_ticks) $(getconf CLK_TCK)" >> "$workdir/${setup}_cpu"
  done
  say "hogar, $setup: stopping the daemons (SIGTERM)"
  stop_daemons
}

hogar_status=0
run_hogar one-node 1
run_hogar three-nodes 3

# ---- Ray Serve ---------------------------------------------------------------------------
ray_missing=""
if [[ $skip_ray == 1 ]]; then
  ray_missing="--skip-ray was given"
else
  say "Ray Serve: bash bench/cluster/ray_peer/run_peer.sh $ray_results --requests $ray_requests"
  bash bench/cluster/ray_peer/run_peer.sh "$ray_results" --requests "$ray_requests" \
    --concurrency "$concurrencies" --images-per-worker "$images_per_worker" \
    --encoding "$encoding" --sample-file "$workdir/ray.sample" > "$ray_log" 2>&1 &
  peer_pid=$!
  tail -f --pid="$peer_pid" "$ray_log" >&2 &
  tail_pid=$!
  peer_rc=0
  wait "$peer_pid" || peer_rc=$?
  peer_pid=""
  wait "$tail_pid" 2>/dev/null || true
  if [[ $peer_rc -ne 0 ]]; then
    if [[ ! -s "$ray_results" ]]; then
      ray_missing="run_peer.sh failed (rc $peer_rc) before any result; its last lines: $(grep -v '^{' "$ray_log" | tail -n 6 | tr '\n' ' ' | cut -c1-1500)"
    else
      say "run_peer.sh exited with rc $peer_rc (some requests failed?); its results are kept"
    fi
  fi
fi
# run_peer.sh logs "load: N requests at concurrency C (load average: A B C)" before each run.
sed -n 's/.*at concurrency \([0-9]*\) (load average: \(.*\))$/\1 \2/p' "$ray_log" \
  > "$workdir/ray_loadavg" 2>/dev/null || true
ray_version="$("$python" -c 'import ray; print(ray.__version__)' 2>/dev/null || echo "not installed")"

# ---- report ------------------------------------------------------------------------------
mkdir -p "$(dirname "$output")"
cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
COMMAND_LINE="$command_line" DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" NPROC="$(nproc)" \
CPU_MODEL="${cpu_model:-unknown}" KERNEL="$(uname -sr)" RAY_VERSION="$ray_version" \
RAY_MISSING="$ray_missing" HOGAR_N="$requests" RAY_N="$ray_requests" ENCODING="$encoding" \
IMAGES="$images_per_worker" CONCURRENCIES="$concurrencies" WORKDIR="$workdir" \
"$python" - > "$output" <<'EOF_REPORT'
import json, os

env = os.environ
work = env["WORKDIR"]

def read_rows(path):
    rows = {}
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    r = json.loads(line)
                    rows[int(r["concurrency"])] = r
    except OSError:
        pass
    return rows

def read_columns(path):
    try:
        with open(path) as f:
            return {int(l.split()[0]): " ".join(l.split()[1:]) for l in f if l.strip()}
    except OSError:
        return {}

def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""

setups = [("one-node", "hogar, 1 daemon"), ("three-nodes", "hogar, 3 daemons")]
hogar = {key: read_rows(f"{work}/{key}.jsonl") for key, _ in setups}
ray = read_rows(f"{work}/ray.jsonl")

def cpu_ms_per_request(key, c):
    # Over the warm-up and the measured requests, all daemons of the setup together.
    try:
        before = read_columns(f"{work}/{key}_cpu_before")[c]
        after, hz = read_columns(f"{work}/{key}_cpu")[c].split()
        r = hogar[key][c]
        sent = r["requests"] + max(10, r["requests"] // 10)
        return f"{(int(after) - int(before)) * 1000.0 / int(hz) / sent:.1f} ms"
    except (KeyError, ValueError, ZeroDivisionError):
        return "?"

ms = lambda v: f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms"
concurrencies = [int(x) for x in env["CONCURRENCIES"].split()]
out = []
p = out.append
p("# bench/cluster: hogar vs Ray Serve (image-analysis graph)")
p("")
p(f"Command: `{env['COMMAND_LINE']}`  ")
p(f"Date: {env['DATE']}  ")
p(f"Machine: {env['NPROC']} cores ({env['CPU_MODEL']}), {env['KERNEL']}  ")
p(f"Ray: {env['RAY_VERSION']}  ")
p(f"Request encoding: {env['ENCODING']}")
p("")
p("Setup: the same machine, one after the other (each side is stopped before the next starts). "
  "hogar serves config/graphs/image-analysis-simulated.yaml twice: on one `hogard` "
  "(config/local-cluster/node1.ini, 2 scheduler threads), and on the 3-node local cluster "
  "(node1..node3, its 8 replicas placed across the 3 daemons, all on these 2 cores); requests go "
  "to node1's KServe v2 endpoint. Ray Serve: bench/cluster/ray_peer/image_analysis_serve.py on a "
  "one-node Ray (2 logical CPUs), one replica per operator deployment except detector (2), "
  "composed by an ingress deployment through handles. Same simulated costs (detector 2 ms, plate "
  "reader 1 ms), same answers (the peer's simulated models derive their outputs from the input "
  "exactly as hogar's `simulate` does), same closed-loop client (bench/cluster/ray_peer/load.py, "
  f"one keep-alive connection per worker, {env['IMAGES']} random 96x128x3 images per worker, the "
  "same seeds for all), which runs on the same cores too. "
  f"hogar: {env['HOGAR_N']} measured requests per concurrency; Ray: {env['RAY_N']} (plus a "
  "warm-up of max(10, N/10) each). With the binary encoding the image travels as raw bytes after "
  "a JSON header (the binary tensor extension, which Triton's clients use by default); the peer "
  "decodes it with numpy.frombuffer.")
p("")
samples = {key: read_text(f"{work}/{key}.sample") for key, _ in setups}
samples["ray"] = read_text(f"{work}/ray.sample")
present = {k: v for k, v in samples.items() if v}
if len(present) > 1:
    same = len(set(present.values())) == 1
    p(f"Answers to the sample request (image of seed 1): {'identical on every side' if same else 'DIFFERENT'} "
      f"({', '.join(sorted(present))}).")
    if not same:
        for k, v in sorted(present.items()):
            p(f"- {k}: `{v[:300]}`")
    p("")

verdicts = []
for key, title in setups:
    p(f"### {title} vs Ray Serve")
    p("")
    p("| concurrency | hogar rps | hogar p50 | hogar p99 | Ray rps | Ray p50 | Ray p99 | "
      "rps hogar/Ray | p50 Ray/hogar |")
    p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in concurrencies:
        h, r = hogar[key].get(c), ray.get(c)
        cells = [str(c)]
        cells += [f"{h['rps']:.1f}", ms(h["p50_ms"]), ms(h["p99_ms"])] if h else ["-"] * 3
        cells += [f"{r['rps']:.1f}", ms(r["p50_ms"]), ms(r["p99_ms"])] if r else ["-"] * 3
        if h and r and r["rps"] > 0 and h["p50_ms"] > 0:
            rps_x, p50_x = h["rps"] / r["rps"], r["p50_ms"] / h["p50_ms"]
            cells += [f"{rps_x:.1f}x", f"{p50_x:.1f}x"]
            verdicts.append((title, c, rps_x, p50_x))
        else:
            cells += ["-", "-"]
        p("| " + " | ".join(cells) + " |")
    p("")
if env["RAY_MISSING"]:
    p(f"**Ray Serve is missing from this run:** {env['RAY_MISSING']}")
    p("")
if verdicts:
    p("Targets: hogar at least 10x Ray's requests/s and at most 1/10 of its p50 latency at every "
      "concurrency.")
    p("")
    ok = lambda x: "met" if x >= 10 else "NOT met"
    for title, c, rps_x, p50_x in verdicts:
        p(f"- {title}, concurrency {c}: requests/s {rps_x:.1f}x ({ok(rps_x)}), p50 {p50_x:.1f}x "
          f"lower ({ok(p50_x)})")
    p("")
p("Per run: failed requests, answers carrying analysis.plate (the car branch ran), the load "
  "average (1, 5, 15 min) just before the run, and the CPU time of the hogar daemons per request "
  "(user + system of all daemons of the setup over the run, warm-up included, divided by the "
  "requests sent; not measured for Ray's many processes):")
p("")
p("| side | concurrency | requests | failed | with plate | seconds | load average before | "
  "server CPU per request | first error |")
p("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |")
sides = [(title, hogar[key], read_columns(f"{work}/{key}_loadavg"), key) for key, title in setups]
sides.append(("Ray", ray, read_columns(f"{work}/ray_loadavg"), None))
for title, rows, loads, key in sides:
    for c in sorted(rows):
        r = rows[c]
        err = (r.get("first_error") or "").replace("|", "/")[:120]
        cpu = cpu_ms_per_request(key, c) if key else "-"
        p(f"| {title} | {c} | {r['requests']} | {r['failed']} | {r['with_plate']} | "
          f"{r['seconds']} | {loads.get(c, '?')} | {cpu} | {err} |")
print("\n".join(out))
EOF_REPORT
say "wrote $output"
cat "$output" >&2
[[ $hogar_status == 0 ]] || { say "some hogar requests failed (see the table)"; exit 1; }
