#!/usr/bin/env bash
# build.sh: configures and builds hogar into build/ (the CUDA parts too when nvcc is found).
# Extra arguments go to CMake's configure step, e.g. -DHOGAR_BUILD_BENCH=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B build "$@"
fi
cmake --build build -j "$(nproc)"
