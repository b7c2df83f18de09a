#!/usr/bin/env bash
# python-env.sh: makes the Python virtual environment of the protocol conformance test
# (test/http/triton_client_test.py): Triton's own client, PyPI's tritonclient[http], installed
# with pip into DIR (default build/venv). Says what it runs; safe to run again: with the client
# importable from DIR it changes nothing. Needs python3 with its venv module (Debian's
# python3-venv, which scripts/install-deps.sh installs) and PyPI.
#
#   bash scripts/python-env.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build/venv}"
# The client's 2.x line speaks the KServe v2 protocol this test checks.
requirement='tritonclient[http]>=2.40,<3'
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c 'import tritonclient.http, numpy' 2>/dev/null; then
  echo "python-env: $dir has tritonclient[http]"
  exit 0
fi
echo "python-env: running: python3 -m venv $dir"
python3 -m venv "$dir"
echo "python-env: running: $dir/bin/pip install '$requirement'"
"$dir/bin/pip" install --quiet --disable-pip-version-check "$requirement"
"$dir/bin/python" -c 'import tritonclient.http, numpy'
echo "python-env: $dir has tritonclient[http]"
