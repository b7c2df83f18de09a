#!/usr/bin/env bash
# test.sh: the README's second command, and what CI runs. Installs what is missing, builds,
# and runs the whole test suite with ctest (GPU tests skip at run time without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
