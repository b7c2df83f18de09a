#!/usr/bin/env bash
# onnxruntime_match_test.sh: ctest's entry for onnxruntime_match_test.py. Makes (or finds) the
# virtual environment with onnxruntime and onnx (scripts/python-env.sh), then runs the test in
# it. Skips, with exit status 77 and the reason, only when that environment cannot be made (no
# python3 venv module, no PyPI); any failure of the test itself fails.
#
#   onnxruntime_match_test.sh VENV_DIR --hogar BIN (--models DIR | --generator FILE) NAME...
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(cd "$here/../../.." && pwd)"
venv="$1"
shift
if ! bash "$source_dir/scripts/python-env.sh" "$venv"; then
  echo "SKIPPED: the virtual environment with onnxruntime could not be made in $venv" \
       "(bash scripts/python-env.sh $venv needs python3 -m venv and PyPI)"
  exit 77
fi
exec "$venv/bin/python" "$here/onnxruntime_match_test.py" "$@"
