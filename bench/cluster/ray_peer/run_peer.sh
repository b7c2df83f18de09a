#!/usr/bin/env bash
# run_peer.sh: the Ray Serve peer of hogar's cluster benchmark, end to end.
#
#   bash bench/cluster/ray_peer/run_peer.sh RESULTS.jsonl [--requests N] [--port P]
#        [--concurrency "1 8 64"] [--images-per-worker K] [--encoding binary|json]
#        [--sample-file FILE] [-- ARGS FOR image_analysis_serve.py, e.g. --zero-cost]
#
# 1. installs ray[serve], aiohttp and numpy from PyPI with pip when they are missing;
# 2. compiles hogar_hash.c (the simulated models' seed, as hogar's) with cc;
# 3. starts a one-node Ray on 127.0.0.1 sized for the 2-core development machines (2 CPUs,
#    500 MB object store, no dashboard, no usage stats);
# 4. deploys image_analysis_serve.py (the image-analysis graph as Serve deployments) and polls
#    GET /v2/health/ready until it answers, within a deadline; sends one sample request
#    (its answer goes to --sample-file);
# 5. runs load.py at each concurrency (default 1, 8, 64) and appends one JSON line per run to
#    RESULTS.jsonl;
# 6. always (success, failure or Ctrl-C) stops the app and runs `ray stop --force`.
#
# Tried on the 2-core development machine with Ray 2.60.0 (pip install "ray[serve]"): it
# installs and runs there. Only Serve's HTTP proxy is bound to 127.0.0.1; Ray's own gRPC
# services (GCS, raylet, replicas, client server) listen on all interfaces whatever
# --node-ip-address says, so run this on a machine with no untrusted network.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
requests=200
port=8000
concurrencies="1 8 64"
# 8 images per load worker, not 1: the car branch runs or not depending on the image, and with
# one image at concurrency 1 it would run on every request or on none (load.py reports the
# count in "with_plate").
images_per_worker=8
encoding=binary           # load.py --encoding: binary (tensor extension) or json
sample_file=""            # where the answer to the sample request goes (compared with hogar's)
ready_deadline_s=240
ray_port="${RAY_GCS_PORT:-6380}"   # not Ray's default 6379, to keep clear of a Redis
serve_args=()

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
results="$1"; shift
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --concurrency) concurrencies="$2"; shift 2 ;;
    --images-per-worker) images_per_worker="$2"; shift 2 ;;
    --encoding) encoding="$2"; shift 2 ;;
    --sample-file) sample_file="$2"; shift 2 ;;
    --) shift; serve_args=("$@"); break ;;
    -h|--help) usage ;;
    *) echo "run_peer.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

say() { echo "run_peer.sh: $*" >&2; }

if ! "$python" -c 'import ray, ray.serve, aiohttp, numpy' 2>/dev/null; then
  say "ray[serve], aiohttp or numpy missing; running: $python -m pip install 'ray[serve]' aiohttp numpy (from PyPI)"
  "$python" -m pip install --quiet "ray[serve]" aiohttp numpy
fi
ray_bin="$(dirname "$(command -v "$python")")/ray"
[[ -x "$ray_bin" ]] || ray_bin="$(command -v ray)" \
  || { say "the 'ray' command is not on PATH after installing ray"; exit 1; }

workdir="$(mktemp -d -t ray_peer.XXXXXX)"
app_log="$workdir/serve.log"
app_pid=""
ray_started=0

cleanup() {
  local rc=$?
  if [[ -n "$app_pid" ]] && kill -0 "$app_pid" 2>/dev/null; then
    kill -TERM "$app_pid" 2>/dev/null || true
    # Its own serve.shutdown() takes a few seconds; ray stop --force below ends it anyway.
    for _ in $(seq 1 20); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.5; done
    # A driver left behind once Ray is gone keeps retrying its GCS at full speed: never leave it.
    kill -KILL "$app_pid" 2>/dev/null || true
  fi
  if [[ "$ray_started" == 1 ]]; then
    say "stopping Ray: $ray_bin stop --force"
    "$ray_bin" stop --force >/dev/null 2>&1 || say "ray stop --force failed (rc $?)"
  fi
  if [[ $rc -ne 0 && -s "$app_log" ]]; then
    say "last lines of the app's log ($app_log):"
    tail -n 40 "$app_log" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting Ray: 2 CPUs, 500 MB object store, no dashboard, GCS on 127.0.0.1:$ray_port"
ray_started=1
# RAY_worker_niceness=0: Ray runs its workers (every Serve replica) at nice 15 by default, so
# any other process on the machine (a compiler, hogar itself) would take the cores first;
# hogar runs at nice 0, and so does the peer here.
RAY_worker_niceness=0 RAY_USAGE_STATS_ENABLED=0 "$ray_bin" start --head --node-ip-address 127.0.0.1 \
  --port "$ray_port" --num-cpus 2 --object-store-memory 500000000 \
  --include-dashboard false --disable-usage-stats > "$workdir/ray_start.log" 2>&1 \
  || { say "ray start failed:"; cat "$workdir/ray_start.log" >&2; exit 1; }

# The simulated models answer what hogar's do (hogar_hash.c: the seed of hogar's `simulate`).
hash_library="$workdir/libhogar_hash.so"
cc -O2 -shared -fPIC -o "$hash_library" "$here/hogar_hash.c" \
  || { say "cc could not build $here/hogar_hash.c"; exit 1; }

say "deploying image_analysis_serve.py on 127.0.0.1:$port ${serve_args[*]:-}"
"$python" "$here/image_analysis_serve.py" --hash-library "$hash_library" \
  --address "127.0.0.1:$ray_port" --port "$port" "${serve_args[@]}" > "$app_log" 2>&1 &
app_pid=$!

base="http://127.0.0.1:$port"
deploy_start_s=$(date +%s)
deadline=$(( deploy_start_s + ready_deadline_s ))
until curl -sf -o /dev/null --max-time 2 "$base/v2/health/ready"; do
  if ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid" && app_rc=0 || app_rc=$?
    say "image_analysis_serve.py exited (rc $app_rc) before the endpoint answered"
    exit 1
  fi
  if (( $(date +%s) >= deadline )); then
    say "no answer from $base/v2/health/ready within ${ready_deadline_s} s"
    exit 1
  fi
  sleep 0.5
done
say "ready after $(( $(date +%s) - deploy_start_s )) s"

url="$base/v2/models/image-analysis/infer"
# One answer shown, so a run whose figures look fine but whose outputs are wrong is caught.
sample="$("$python" "$here/load.py" --url "$url" --sample)" \
  || { say "the sample request failed: $sample"; exit 1; }
say "sample answer: ${sample:0:600}"
[[ -z "$sample_file" ]] || printf '%s\n' "$sample" > "$sample_file"

status=0
for c in $concurrencies; do
  # The machine is shared: the load average says how much of it the run had.
  say "load: $requests requests at concurrency $c (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  # A run with failures still writes its line (it says how many and why) and fails the script.
  "$python" "$here/load.py" --url "$url" --requests "$requests" --concurrency "$c" \
    --images-per-worker "$images_per_worker" --encoding "$encoding" \
    | tee -a "$results" || status=1
done
say "results appended to $results"
exit "$status"
