#!/usr/bin/env bash
# check.sh: hogar's GPU checks, on a machine with an NVIDIA GPU, from the bundle that
# scripts/gpu/pack.sh made here (.gpu/bundle.tar.xz). Runs, each under its own time limit:
#   the device and the libraries found; the GPU executor's tests (kernels_onnx_gpu_test), the
#   kernel table on every path (nn_test), the ONNX conformance cases on every device (what
#   `ctest -L conformance` runs); a graph served in-process on the GPU (hogar run) and by a
#   daemon over KServe v2 (hogard, hogar load, curl); model_bench with the PyTorch and
#   onnxruntime peers; Nsight Compute's time per kernel for a batch of 64; compute-sanitizer's
#   memcheck over the GPU executor's tests.
# Writes the log, model_bench's table and a summary to $OUT (default /tmp/hogar-gpu).
#
#   bash scripts/gpu/check.sh [--seconds S] [--devices D]
#     S: model_bench's time per point (default 2); D: its paths (default cpu,reference,gpu;
#     gpu alone skips the CPU rows, which take most of the time)
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=2
devices=cpu,reference,gpu
while (( $# > 0 )); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    *) echo "check.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=${OUT:-/tmp/hogar-gpu}
mkdir -p "$out"
export out
exec > >(tee "$out/check.log") 2>&1
start=$(date +%s)
summary=()
# step NAME LIMIT_S COMMAND...: runs COMMAND, records ok/FAILED and the time it took.
step() {
  local name=$1 limit=$2; shift 2
  echo; echo "=== $name (at $(( $(date +%s) - start )) s, limit $limit s)"
  # bash -c: COMMAND may be one of the functions below (exported).
  local t0=$(date +%s); timeout -k 5 "$limit" bash -c '"$@"' step "$@"; local rc=$?
  local verdict=ok; (( rc != 0 )) && verdict="FAILED (exit $rc)"
  summary+=("$name: $verdict, $(( $(date +%s) - t0 )) s")
}

mkdir -p .gpu/unpacked && tar -xJf .gpu/bundle.tar.xz -C .gpu/unpacked || exit 1
cp -r .gpu/unpacked/build . && cp -rn .gpu/unpacked/testdata/. / || exit 1
# CUDA's libraries come from the machine: the toolkit's folders, else the pip wheels PyTorch uses.
cuda_dirs=$(find /usr/local /opt /usr/lib -maxdepth 9 \( -name 'libcudnn.so.9' -o -name 'libcublas.so.13' \
            -o -name 'libcublasLt.so.13' -o -name 'libcudart.so.13' \) 2>/dev/null | xargs -r -n1 dirname | sort -u | paste -sd:)
export LD_LIBRARY_PATH=$PWD/.gpu/unpacked/lib:$cuda_dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH=$PATH:/usr/local/cuda/bin

echo "=== machine"
date -u; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | cut -c1-300
echo "CUDA libraries from: $cuda_dirs"
ldd build/tools/hogar build/bench/models/model_bench | grep -E 'not found|cud|cublas' | sort -u

step "example models" 60 build/tools/hogar model generate --output build/models
step "hogar model ops" 30 build/tools/hogar model ops
step "kernels_onnx_gpu_test" 120 build/test/kernels/onnx/kernels_onnx_gpu_test -s
step "nn_test" 180 build/test/kernels/nn/nn_test

conformance() {
  # One log per case in a scratch folder ($out takes few files), all of them joined in $out.
  local logs=/tmp/hogar-conformance
  rm -rf "$logs" && mkdir -p "$logs"
  xargs -P 8 -L 1 sh -c 'build/tools/hogar model test "$0" --device "$1" > "'"$logs"'/$(basename $0)-$1.log" 2>&1 || echo "FAILED $0 $1"' \
    < .gpu/unpacked/conformance.txt | tee "$out/conformance-failed.txt"
  cat "$logs"/*.log > "$out/conformance.txt"
  echo "verdicts per device:"
  grep -ho '\[[a-z]*\]: [a-z]*' "$out/conformance.txt" | sort | uniq -c
  grep -h '^gpu: skipped' "$out/conformance.txt" | sort | uniq -c
  [[ ! -s "$out/conformance-failed.txt" ]]
}
export -f conformance
step "conformance (209 cases, every device)" 180 conformance

served_in_process() {
  sed 's/params: {model: resnet18, instances: 1}/params: {model: resnet18, instances: 2, device: gpu}/' \
    config/graphs/image-classification.yaml > .gpu/image-classification-gpu.yaml
  grep -q 'device: gpu' .gpu/image-classification-gpu.yaml &&
  build/tools/hogar run .gpu/image-classification-gpu.yaml --model-repository build/models \
    -n 400 -c 32 --show 1
}
export -f served_in_process
step "hogar run, ResNet-18 on the GPU in-process" 120 served_in_process

served_by_daemon() {
  build/tools/hogard --config config/local-cluster/node1.ini --gpus=1 > "$out/hogard.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do build/tools/hogar nodes > /dev/null 2>&1 && break; sleep 0.2; done
  build/tools/hogar submit config/graphs/image-classification.yaml &&
  build/tools/hogar status image-classification &&
  build/tools/hogar load image-classification --concurrency 32 --requests 1000 &&
  python3 -c 'import json; print(json.dumps({"inputs": [{"name": "image", "datatype": "UINT8",
      "shape": [32, 48, 3], "data": [i % 256 for i in range(32 * 48 * 3)]}]}))' > .gpu/request.json &&
  curl -sS --fail-with-body -H 'Content-Type: application/json' --data @.gpu/request.json \
    http://127.0.0.1:8701/v2/models/image-classification/infer | head -c 400 && echo &&
  build/tools/hogar status image-classification
  local rc=$?
  kill "$pid"; wait "$pid"
  return $rc
}
export -f served_by_daemon
step "hogard on the GPU over KServe v2" 120 served_by_daemon

step "model_bench (GPU, peers)" 240 build/bench/models/model_bench --seconds "$seconds" \
  --devices "$devices" --gpu-heuristic --threads 2 --batches 1,4,16,64,128 \
  --output "$out/models-gpu.md"

# Where a batch of 64 spends its GPU time, kernel by kernel (Nsight Compute, clocks left alone;
# one metric, so each kernel replays once). The plan's first run chooses the convolution
# algorithms by timing them, so cuDNN's trial kernels are in the list too.
profile() {
  local ncu
  ncu=$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
  [[ -n "$ncu" ]] || { echo "no ncu here"; return 1; }
  "$ncu" --clock-control none --metrics gpu__time_duration.sum --print-summary per-kernel \
    build/bench/models/model_bench --devices gpu --no-peers --batches 64 --seconds 0 \
    --min-runs 1 --output /tmp/profile-bench.md > "$out/ncu-batch64.txt" 2>&1
  local rc=$?
  tail -n 40 "$out/ncu-batch64.txt"
  return $rc
}
export -f profile
step "ncu: the kernels of a batch of 64" 150 profile

sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
if [[ -n "$sanitizer" ]]; then
  # API errors are not reported: one test asks for more memory than the GPU has, on purpose.
  step "compute-sanitizer memcheck" 150 "$sanitizer" --tool memcheck --report-api-errors no \
    --error-exitcode 9 \
    build/test/kernels/onnx/kernels_onnx_gpu_test
else
  summary+=("compute-sanitizer: not on this machine")
fi

echo; echo "=== summary ($(( $(date +%s) - start )) s)"
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
