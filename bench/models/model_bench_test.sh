#!/usr/bin/env bash
# model_bench_test.sh: ctest's check that model_bench pairs the CPU path with onnxruntime as its
# tables claim: a short run on the example classifier, two turns at batches 1 and 2, must give
# a hogar row and an onnxruntime row per batch and both turns' ratios, through one onnxruntime
# session kept open (peers.py --serve). Skips (77) only when the virtual environment with
# onnxruntime cannot be made, as onnxruntime_match_test does.
#
#   model_bench_test.sh VENV_DIR MODEL_BENCH MODEL
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
venv="$1" bench="$2" model="$3"
if ! bash "$source_dir/scripts/python-env.sh" "$venv"; then
  echo "SKIPPED: the virtual environment with onnxruntime could not be made in $venv"
  exit 77
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$source_dir" || exit 1
"$bench" --model "$model" --batches 1,2 --seconds 0.4 --rounds 2 --no-reference --devices cpu \
  --python "$venv/bin/python" --output "$out/table.md" > "$out/stdout" 2> "$out/stderr"
status=$?
fail() {
  echo "FAILED: $1"
  cat "$out/stdout" "$out/stderr"
  exit 1
}
[ "$status" -eq 0 ] || fail "model_bench exited with $status"
for batch in 1 2; do
  grep -Eq "^\| hogar cpu \| $batch \| [0-9.]+ \|.*x onnxruntime cpu \|$" "$out/table.md" ||
    fail "no hogar cpu row at batch $batch with its ratio to onnxruntime"
  grep -Eq "^\| onnxruntime cpu \| $batch \| [0-9.]+ \|" "$out/table.md" ||
    fail "no onnxruntime cpu row at batch $batch"
  grep -Eq "batch $batch: [0-9.]+x \(turns: [0-9.]+, [0-9.]+\)" "$out/table.md" ||
    fail "no two turns' ratios at batch $batch"
done
if grep -q "peers:" "$out/table.md"; then
  fail "the table notes a peer problem"
fi
echo "model_bench paired the CPU path with onnxruntime at batches 1 and 2, two turns each"
