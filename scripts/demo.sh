#!/usr/bin/env bash
# demo.sh: the README's first command. Installs what is missing, builds (which also writes the
# example ONNX models into build/models), then serves the example image-analysis graph
# in-process (a detector and a plate reader from that model repository), sends it requests,
# and prints the results and a latency summary. Arguments are passed to `hogar run` (e.g.
# --requests 1000 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec build/tools/hogar run config/graphs/image-analysis.yaml --model-repository build/models \
  --requests 200 --concurrency 8 "$@"
