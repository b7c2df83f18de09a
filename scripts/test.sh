#!/usr/bin/env bash
# test.sh: the README's second command, and what CI runs. Installs what is missing, builds,
# and runs the whole test suite with ctest (GPU tests skip at run time without a GPU).
#
#   bash scripts/test.sh              the suite on the normal build (build/)
#   bash scripts/test.sh --sanitize   the suite built with AddressSanitizer and
#                                     UndefinedBehaviorSanitizer (build-sanitize/): any report
#                                     (a leak, an overflow, undefined behaviour) fails its test
#   bash scripts/test.sh --thread     the actor tests built with ThreadSanitizer (build-tsan/),
#                                     against CAF built with it too (needs deb.debian.org)
#
# Further arguments go to ctest (e.g. -L http, -R "a join waits").
set -euo pipefail
cd "$(dirname "$0")/.."
mode=plain
case "${1:-}" in
  --sanitize) mode=sanitize; shift ;;
  --thread) mode=thread; shift ;;
esac
bash scripts/install-deps.sh
jobs="$(nproc)"
case "$mode" in
  plain)
    bash scripts/build.sh
    # Triton's client for triton_client_test, made before the suite runs (that test skips,
    # saying why, when it cannot be made).
    bash scripts/python-env.sh build/venv || echo "test.sh: no Python environment for tritonclient"
    ctest --test-dir build --output-on-failure -j "$jobs" "$@"
    ;;
  sanitize)
    # No benchmarks and no CUDA: neither adds a test, and nvcc does not take the flags.
    HOGAR_BUILD_DIR=build-sanitize bash scripts/build.sh -DHOGAR_SANITIZE=address,undefined \
      -DHOGAR_BUILD_BENCH=OFF -DHOGAR_DISABLE_CUDA=ON
    bash scripts/python-env.sh build-sanitize/venv || echo "test.sh: no Python environment for tritonclient"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
    export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/scripts/sanitizers/ubsan.supp"
    ctest --test-dir build-sanitize --output-on-failure -j "$jobs" "$@"
    ;;
  thread)
    # CAF itself built with ThreadSanitizer (from Debian's source package): against the
    # uninstrumented libcaf every message between actors reads as a data race.
    caf="$PWD/build-tsan/caf"
    bash scripts/sanitizers/caf-tsan.sh "$caf"
    # Only the actor tests run here, so only what they need is built.
    HOGAR_BUILD_DIR=build-tsan HOGAR_BUILD_TARGETS=actors_test bash scripts/build.sh \
      -DHOGAR_SANITIZE=thread -DHOGAR_BUILD_BENCH=OFF -DHOGAR_DISABLE_CUDA=ON \
      -DCAF_INCLUDE_DIR="$caf/include" -DCAF_CORE_LIBRARY="$caf/lib/libcaf_core.so" \
      -DCAF_IO_LIBRARY="$caf/lib/libcaf_io.so" -DCAF_OPENSSL_LIBRARY="$caf/lib/libcaf_openssl.so"
    export TSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/tsan.supp:halt_on_error=0:second_deadlock_stack=1"
    ctest --test-dir build-tsan --output-on-failure -j "$jobs" -L actors "$@"
    ;;
esac
