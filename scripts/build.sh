#!/usr/bin/env bash
# build.sh: configures and builds hogar into build/ (the CUDA parts too when nvcc is found).
# Extra arguments go to CMake's configure step, e.g. -DHOGAR_BUILD_BENCH=OFF.
# HOGAR_BUILD_DIR names another build folder (scripts/test.sh --sanitize uses build-sanitize);
# HOGAR_BUILD_TARGETS (space-separated) builds only those targets and what they need.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${HOGAR_BUILD_DIR:-build}"
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B "$dir" "$@"
fi
targets=()
for t in ${HOGAR_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
