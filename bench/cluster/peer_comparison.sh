#!/usr/bin/env bash
# peer_comparison.sh: hogar's 3-node local cluster vs the Ray Serve peer, same machine, same run.
#
#   bash bench/cluster/peer_comparison.sh [--requests N] [--ray-requests M]
#        [--output bench/results/cluster_peer.md] [--concurrency "1 8 64"]
#        [--images-per-worker K] [--skip-ray]
#
# 1. starts the 3 hogar daemons of config/local-cluster/*.ini in the background (logs in a temp
#    dir), polls `hogar nodes --json` until all 3 are alive, submits
#    config/graphs/image-analysis.yaml and waits for GET /v2/models/image-analysis/ready = 200
#    on node1's HTTP port;
# 2. runs bench/cluster/ray_peer/load.py against node1 at each concurrency (N requests each);
# 3. stops the daemons (SIGTERM, then waits) BEFORE Ray starts: the two never share the cores;
# 4. runs bench/cluster/ray_peer/run_peer.sh (Ray Serve, same client, same images, same costs:
#    detector 2 ms, plate reader 1 ms) with M requests per concurrency (default M = N);
# 5. writes a markdown table (rps / p50 / p99 of both, and the ratios) to the output file.
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
skip_ray=0
cluster_deadline_s=30        # all 3 members alive
ready_deadline_s=30          # graph deployed and ready
hogard="build/tools/hogard"
hogar="build/tools/hogar"
graph="config/graphs/image-analysis.yaml"
http_port=8701
command_line="bash bench/cluster/peer_comparison.sh $*"

usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --ray-requests) ray_requests="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --concurrency) concurrencies="$2"; shift 2 ;;
    --images-per-worker) images_per_worker="$2"; shift 2 ;;
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
hogar_results="$workdir/hogar.jsonl"
ray_results="$workdir/ray.jsonl"
ray_log="$workdir/run_peer.log"
: > "$hogar_results"; : > "$ray_results"
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
    for f in "$workdir"/node*.log; do
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

# hogard publishes its actor port without SO_REUSEADDR, so it cannot bind while a connection of
# a previous run lingers in TIME-WAIT on that port (up to 60 s on Linux): wait that out.
time_wait_filter='( sport = :7701 or sport = :7702 or sport = :7703 )'
if command -v ss >/dev/null; then
  deadline=$(( $(date +%s) + 75 ))
  while [[ -n "$(ss -Htan state time-wait "$time_wait_filter" 2>/dev/null)" ]]; do
    (( $(date +%s) < deadline )) || { say "ports 7701-7703 still in TIME-WAIT after 75 s"; exit 1; }
    say "waiting for TIME-WAIT connections on ports 7701-7703 to expire (a previous run's)"
    sleep 5
  done
fi

say "starting 3 hogar daemons (logs in $workdir)"
for n in 1 2 3; do
  "$hogard" --config "config/local-cluster/node$n.ini" > "$workdir/node$n.log" 2>&1 &
  daemon_pids+=($!)
done

alive_count() {
  "$hogar" nodes --json --timeout-ms 1000 2>/dev/null | "$python" -c '
import json, sys
try:
    print(sum(1 for n in json.load(sys.stdin) if n.get("state") == "alive"))
except Exception:
    print(0)'
}
start_s=$(date +%s.%N)
deadline=$(( $(date +%s) + cluster_deadline_s ))
until [[ "$(alive_count)" == 3 ]]; do
  for pid in "${daemon_pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { say "a hogard exited before the cluster formed"; exit 1; }
  done
  (( $(date +%s) < deadline )) || { say "3 members not alive within ${cluster_deadline_s} s"; exit 1; }
  sleep 0.25
done
say "3 members alive after $("$python" -c "import time; print(round(time.time() - $start_s, 2))") s"

"$hogar" submit "$graph" >&2 || { say "hogar submit $graph failed"; exit 1; }
base="http://127.0.0.1:$http_port"
deadline=$(( $(date +%s) + ready_deadline_s ))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/v2/models/image-analysis/ready")" == 200 ]]; do
  (( $(date +%s) < deadline )) || { say "image-analysis not ready on $base within ${ready_deadline_s} s"; exit 1; }
  sleep 0.25
done
say "image-analysis ready on $base"

url="$base/v2/models/image-analysis/infer"
sample="$("$python" -c 'import sys; sys.path.insert(0, sys.argv[1]); import load
sys.stdout.write(load.image_body(1, (96, 128, 3)).decode())' bench/cluster/ray_peer \
  | curl -sS --fail-with-body --max-time 30 -H 'Content-Type: application/json' \
      --data-binary @- "$url")" || { say "the sample request failed: $sample"; exit 1; }
say "sample answer: ${sample:0:600}"

# CPU time (user + system, clock ticks) of the 3 daemons together, to see where the time goes.
daemons_cpu_ticks() {
  local pid total=0
  for pid in "${daemon_pids[@]}"; do
    total=$(( total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
  done
  echo "$total"
}
hogar_status=0
for c in $concurrencies; do
  echo "$c $(daemons_cpu_ticks)" >> "$workdir/hogar_cpu_before"
  loadavg="$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$c $loadavg" >> "$workdir/hogar_loadavg"
  say "hogar: $requests requests at concurrency $c (load average: $loadavg)"
  "$python" bench/cluster/ray_peer/load.py --url "$url" --requests "$requests" --concurrency "$c" \
    --images-per-worker "$images_per_worker" | tee -a "$hogar_results" || hogar_status=1
  echo "$c $(daemons_cpu_ticks) $(getconf CLK_TCK)" >> "$workdir/hogar_cpu"
done

say "stopping the hogar daemons (SIGTERM) before Ray starts"
stop_daemons

# ---- Ray Serve ---------------------------------------------------------------------------
ray_missing=""
if [[ $skip_ray == 1 ]]; then
  ray_missing="--skip-ray was given"
else
  say "Ray Serve: bash bench/cluster/ray_peer/run_peer.sh $ray_results --requests $ray_requests"
  bash bench/cluster/ray_peer/run_peer.sh "$ray_results" --requests "$ray_requests" \
    --concurrency "$concurrencies" --images-per-worker "$images_per_worker" \
    > "$ray_log" 2>&1 &
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
RAY_MISSING="$ray_missing" HOGAR_N="$requests" RAY_N="$ray_requests" \
IMAGES="$images_per_worker" CONCURRENCIES="$concurrencies" \
"$python" - "$hogar_results" "$ray_results" "$workdir/hogar_loadavg" "$workdir/ray_loadavg" \
  "$workdir/hogar_cpu_before" "$workdir/hogar_cpu" \
  > "$output" <<'EOF'
import json, os, sys

def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                rows[int(r["concurrency"])] = r
    return rows

def loadavgs(path):
    try:
        with open(path) as f:
            return {int(l.split()[0]): " ".join(l.split()[1:]) for l in f if l.strip()}
    except OSError:
        return {}

hogar, ray = load(sys.argv[1]), load(sys.argv[2])
hogar_load, ray_load = loadavgs(sys.argv[3]), loadavgs(sys.argv[4])
cpu_before, cpu_after = loadavgs(sys.argv[5]), loadavgs(sys.argv[6])
def hogar_cpu_ms_per_request(c):
    # Over the warm-up and the measured requests, the 3 daemons together.
    try:
        ticks = int(cpu_after[c].split()[0]) - int(cpu_before[c])
        hz = int(cpu_after[c].split()[1])
        r = hogar[c]
        sent = r["requests"] + max(10, r["requests"] // 10)
        return f"{ticks * 1000.0 / hz / sent:.1f} ms"
    except (KeyError, ValueError, IndexError, ZeroDivisionError):
        return "?"
env = os.environ
ms = lambda v: f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms"
out = []
p = out.append
p("# bench/cluster: hogar vs Ray Serve (image-analysis graph)")
p("")
p(f"Command: `{env['COMMAND_LINE']}`  ")
p(f"Date: {env['DATE']}  ")
p(f"Machine: {env['NPROC']} cores ({env['CPU_MODEL']}), {env['KERNEL']}  ")
p(f"Ray: {env['RAY_VERSION']}")
p("")
p("Setup: the same machine, one after the other (hogar is stopped before Ray starts). hogar: "
  "3 `hogard` daemons on 127.0.0.1 (config/local-cluster/node{1,2,3}.ini, 2 scheduler threads "
  "each) serving config/graphs/image-analysis.yaml, its 8 replicas placed across the 3 nodes, "
  "requests sent to node1's KServe v2 endpoint. Ray Serve: bench/cluster/ray_peer/"
  "image_analysis_serve.py on a one-node Ray (2 logical CPUs), one replica per operator "
  "deployment except detector (2), composed by an ingress deployment. Both run on the same 2 "
  "cores, with the same simulated costs (detector 2 ms, plate reader 1 ms), and are driven by the "
  "same closed-loop client (bench/cluster/ray_peer/load.py, one keep-alive connection per "
  f"worker, {env['IMAGES']} random 96x128x3 images per worker, the same seeds for both) which "
  "runs on the same cores too. hogar: "
  f"{env['HOGAR_N']} measured requests per concurrency; Ray: {env['RAY_N']} (plus a warm-up of "
  "max(10, N/10) each).")
p("")
p("| concurrency | hogar rps | hogar p50 | hogar p99 | Ray rps | Ray p50 | Ray p99 | "
  "rps hogar/Ray | p50 Ray/hogar |")
p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
verdicts = []
for c in [int(x) for x in env["CONCURRENCIES"].split()]:
    h, r = hogar.get(c), ray.get(c)
    cells = [str(c)]
    cells += [f"{h['rps']:.1f}", ms(h["p50_ms"]), ms(h["p99_ms"])] if h else ["-"] * 3
    cells += [f"{r['rps']:.1f}", ms(r["p50_ms"]), ms(r["p99_ms"])] if r else ["-"] * 3
    if h and r and r["rps"] > 0 and h["p50_ms"] > 0:
        rps_x, p50_x = h["rps"] / r["rps"], r["p50_ms"] / h["p50_ms"]
        cells += [f"{rps_x:.1f}x", f"{p50_x:.1f}x"]
        verdicts.append((c, rps_x, p50_x))
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
    for c, rps_x, p50_x in verdicts:
        ok = lambda x: "met" if x >= 10 else "NOT met"
        p(f"- concurrency {c}: requests/s {rps_x:.1f}x ({ok(rps_x)}), p50 {p50_x:.1f}x lower "
          f"({ok(p50_x)})")
    p("")
p("Per run: failed requests, answers carrying analysis.plate (the car branch ran, one more "
  "operator pair and 1 ms more), and the load average (1, 5, 15 min) just before the run:")
p("")
p("| side | concurrency | requests | failed | with plate | seconds | load average before | "
  "server CPU per request | first error |")
p("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |")
for side, rows, loads in (("hogar", hogar, hogar_load), ("Ray", ray, ray_load)):
    for c in sorted(rows):
        r = rows[c]
        err = (r.get("first_error") or "").replace("|", "/")[:120]
        p(f"| {side} | {c} | {r['requests']} | {r['failed']} | {r['with_plate']} | "
          f"{r['seconds']} | {loads.get(c, '?')} | "
          f"{hogar_cpu_ms_per_request(c) if side == 'hogar' else '-'} | {err} |")
p("")
p("Server CPU per request: user + system CPU time of the 3 hogard processes over the run "
  "(warm-up included) divided by the requests sent; not measured for Ray's many processes.")
p("")
uneven = []
for c in sorted(set(hogar) & set(ray)):
    fh = hogar[c]["with_plate"] / max(1, hogar[c]["requests"])
    fr = ray[c]["with_plate"] / max(1, ray[c]["requests"])
    if abs(fh - fr) > 0.1:
        uneven.append(f"concurrency {c}: hogar {fh:.0%}, Ray {fr:.0%}")
if uneven:
    p("Note: the car branch ran at different rates on the two sides (" + "; ".join(uneven) +
      "). The images are the same; the simulated detector's scores are not: hogar's `simulate` "
      "and the peer's blake2b hash derive different scores from the same input, so the same image "
      "can be a car for one and not for the other. A higher rate means more work per request.")
print("\n".join(out))
EOF
say "wrote $output"
cat "$output" >&2
[[ $hogar_status == 0 ]] || { say "some hogar requests failed (see the table)"; exit 1; }
