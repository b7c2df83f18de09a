#!/usr/bin/env bash
# pack.sh: what scripts/gpu/check.sh needs on a GPU machine that has none of hogar's Debian
# packages (the device machine a session is sometimes lent). Packs, from an up-to-date build/
# (built with CUDA, as scripts/build.sh does wherever nvcc is):
#   - the binaries check.sh runs, stripped;
#   - the Debian libraries they link that such a machine lacks (not glibc, libstdc++, OpenSSL
#     or CUDA's: the GPU machine brings its own, newer ones);
#   - the ONNX conformance cases that `ctest -L conformance` runs, and the list of them.
# Writes .gpu/bundle.tar.xz (git ignores .gpu/ through .git/info/exclude), about 15 MB.
#
#   bash scripts/gpu/pack.sh && (on the GPU machine) bash scripts/gpu/check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${HOGAR_BUILD_DIR:-build}
binaries=(tools/hogar tools/hogard test/kernels/nn/nn_test test/kernels/onnx/kernels_onnx_gpu_test
          bench/models/model_bench bench/models/conv_bench)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for b in "${binaries[@]}"; do
  mkdir -p "$stage/build/$(dirname "$b")"
  strip -o "$stage/build/$b" "$build/$b"
done

# The shared libraries the binaries link, less those a CUDA machine has of its own.
mkdir -p "$stage/lib"
for b in "${binaries[@]}"; do ldd "$build/$b"; done | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|libssl|libcrypto|libz)\.so|/cuda' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done

# The conformance cases: "CASE_DIR DEVICE" per line, from ctest's own list.
ctest --test-dir "$build" -N -L conformance --show-only=json-v1 | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tests"]:
    c = t["command"]
    print(c[c.index("test") + 1], c[c.index("--device") + 1])' > "$stage/conformance.txt"
mkdir -p "$stage/testdata"
# nn_test reads the Reshape cases too (constant_input_conformance_test.cpp).
{ cut -d' ' -f1 "$stage/conformance.txt"; ls -d /usr/share/libonnx-testdata/data/node/test_reshape_*; } |
  sort -u | tar -cf - -T - 2>/dev/null | tar -xf - -C "$stage/testdata"

mkdir -p .gpu
tar -C "$stage" -cJf .gpu/bundle.tar.xz .
echo "pack.sh: .gpu/bundle.tar.xz, $(du -h .gpu/bundle.tar.xz | cut -f1):" \
     "$(ls "$stage/lib" | wc -l) libraries, $(wc -l < "$stage/conformance.txt") conformance cases"
