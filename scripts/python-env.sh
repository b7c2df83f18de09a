#!/usr/bin/env bash
# python-env.sh: makes the Python virtual environment of the tests that need PyPI packages:
# Triton's own client, tritonclient[http] (test/http/triton_client_test.py), and onnxruntime
# with onnx, the reference the example models are checked against
# (test/kernels/onnx/onnxruntime_match_test.py); installed with pip into DIR (default
# build/venv). Says what it runs; safe to run again: with everything importable from DIR it
# changes nothing. Needs python3 with its venv module (Debian's python3-venv, which
# scripts/install-deps.sh installs) and PyPI.
#
#   bash scripts/python-env.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build/venv}"
# The client's 2.x line speaks the KServe v2 protocol the client test checks.
requirements=('tritonclient[http]>=2.40,<3' 'onnxruntime>=1.17' 'onnx>=1.15')
check='import tritonclient.http, numpy, onnxruntime, onnx'
# Tests that ctest -j starts together may each call this: one makes the environment while the
# others wait on the lock, instead of all installing into the same folder at once.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" 2>/dev/null; then
  echo "python-env: $dir has tritonclient[http], onnxruntime and onnx"
  exit 0
fi
echo "python-env: running: python3 -m venv $dir"
python3 -m venv "$dir"
echo "python-env: running: $dir/bin/pip install ${requirements[*]}"
"$dir/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
"$dir/bin/python" -c "$check"
echo "python-env: $dir has tritonclient[http], onnxruntime and onnx"
