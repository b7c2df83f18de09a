#!/usr/bin/env bash
# run.sh: builds the libFuzzer harnesses of bench/fuzz with clang into build-fuzz/ and runs
# each for SECONDS, one after the other (each harness takes one core; the machine's other
# cores stay free for builds), then writes the table of executions, coverage and crashes to
# bench/results/fuzz.md.
#
#   bench/fuzz/run.sh [SECONDS] [HARNESS...]   fuzz each harness (all by default) SECONDS
#                                              (default 60); 600 is the figure of the issue.
#                                              The table keeps the latest run of every
#                                              harness: rerunning one replaces its row
#   bench/fuzz/run.sh --build                  only install what is missing and build
#   bench/fuzz/run.sh --merge [HARNESS...]     minimize the committed seeds, corpus/NAME, in
#                                              place with -merge=1: a seed that adds no
#                                              coverage over the others is deleted, the rest
#                                              keep their names
#
# What a run keeps:
#   build-fuzz/fuzz-corpus/NAME   what the fuzzer found, reused by the next run (not committed:
#                                 the repository keeps only the seeds)
#   build-fuzz/fuzz-logs/NAME.log libFuzzer's output
#   build-fuzz/fuzz-results/NAME  the harness's row of the table, from its latest run
#   bench/fuzz/crashes/NAME/      every input that crashed, hung (-timeout) or ran out of
#                                 memory (-rss_limit_mb): the replay test fuzz.NAME of the
#                                 normal suite runs each of them from then on
#
# Needs clang and libFuzzer (Debian: clang, libfuzzer-14-dev); installs them with apt-get when
# run as root, else says what to install. The normal build needs neither.
# Environment: HOGAR_FUZZ_BUILD (build folder, default build-fuzz), HOGAR_FUZZ_JOBS (build
# jobs, default all cores), HOGAR_FUZZ_TIMEOUT_S (an input running longer is a hang, default
# 10), HOGAR_FUZZ_RSS_MB (memory limit, default 2048).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

harnesses_all=(udgl hams kserve_json kserve_binary http_head onnx node_options)
build=${HOGAR_FUZZ_BUILD:-build-fuzz}
jobs=${HOGAR_FUZZ_JOBS:-$(nproc)}
timeout_s=${HOGAR_FUZZ_TIMEOUT_S:-10}
rss_mb=${HOGAR_FUZZ_RSS_MB:-2048}
command_line="bench/fuzz/run.sh $*"

mode=fuzz
seconds=60
if [[ ${1:-} == --build ]]; then
  mode=build
  shift
elif [[ ${1:-} == --merge ]]; then
  mode=merge
  shift
elif [[ ${1:-} =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
elif [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
harnesses=("$@")
if [[ ${#harnesses[@]} -eq 0 ]]; then
  harnesses=("${harnesses_all[@]}")
fi
for h in "${harnesses[@]}"; do
  if [[ ! -f bench/fuzz/${h}_fuzz.cpp ]]; then
    echo "run.sh: no harness '$h' (known: ${harnesses_all[*]})" >&2
    exit 2
  fi
done

say() { echo "run.sh: $*" >&2; }

# --- clang and libFuzzer ----------------------------------------------------------------------
fuzzer_runtime() {
  local clang_dir
  clang_dir=$(clang -print-resource-dir 2>/dev/null) || return 1
  [[ -f $clang_dir/lib/linux/libclang_rt.fuzzer-x86_64.a ]]
}
if ! command -v clang++ >/dev/null || ! fuzzer_runtime; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing clang and libFuzzer: apt-get install -y clang libfuzzer-14-dev"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libfuzzer-14-dev
  else
    say "needs clang and libFuzzer: sudo apt-get install clang libfuzzer-14-dev"
    exit 1
  fi
fi
fuzzer_runtime || { say "clang has no libFuzzer runtime (libfuzzer-14-dev?)"; exit 1; }

# --- build ----------------------------------------------------------------------------------
# Every library is instrumented (coverage for libFuzzer, ASan, UBSan, libstdc++'s bounds
# checks), not only the harnesses: the parsers live in the libraries. CUDA and benchmarks are
# left out: no parser is there.
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
flags+=" -fno-omit-frame-pointer -D_GLIBCXX_ASSERTIONS"
if [[ ! -f $build/CMakeCache.txt ]]; then
  configure=(cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
             -DCMAKE_CXX_COMPILER=clang++ "-DCMAKE_CXX_FLAGS=$flags"
             -DHOGAR_FUZZ=ON -DHOGAR_DISABLE_CUDA=ON -DHOGAR_BUILD_BENCH=OFF)
  say "${configure[*]}"
  "${configure[@]}" >/dev/null
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("${h}_fuzz"); done
say "cmake --build $build -j $jobs --target ${targets[*]}"
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
if [[ $mode == build ]]; then
  exit 0
fi

# --- merge: minimize the committed seeds ------------------------------------------------------
if [[ $mode == merge ]]; then
  for h in "${harnesses[@]}"; do
    seeds=bench/fuzz/corpus/$h
    kept=$(mktemp -d)
    "$build/bench/fuzz/${h}_fuzz" -merge=1 "$kept" "$seeds" >"$build/merge-$h.log" 2>&1 || {
      say "$h: merge failed, see $build/merge-$h.log"
      rm -rf "$kept"
      exit 1
    }
    # libFuzzer names what it keeps by SHA-1: keep the seed whose content that is, under its
    # own name, and delete the seeds it did not keep.
    declare -A keep=()
    for f in "$kept"/*; do [[ -f $f ]] && keep[$(basename "$f")]=1; done
    before=$(find "$seeds" -type f | wc -l)
    for f in "$seeds"/*; do
      sum=$(sha1sum "$f" | cut -d' ' -f1)
      if [[ -z ${keep[$sum]:-} ]]; then
        rm "$f"
      else
        unset "keep[$sum]"  # of two identical seeds, the first is kept
      fi
    done
    unset keep
    rm -rf "$kept"
    say "$h: kept $(find "$seeds" -type f | wc -l) of $before seeds"
  done
  exit 0
fi

# --- fuzz -----------------------------------------------------------------------------------
mkdir -p "$build/fuzz-logs" "$build/fuzz-results"
failed=0
for h in "${harnesses[@]}"; do
  work=$build/fuzz-corpus/$h
  artifacts=$build/fuzz-artifacts/$h
  log=$build/fuzz-logs/$h.log
  mkdir -p "$work" "$artifacts"
  rm -f "$artifacts"/*
  run=("$build/bench/fuzz/${h}_fuzz" -max_total_time="$seconds" -timeout="$timeout_s"
       -rss_limit_mb="$rss_mb" -print_final_stats=1 -artifact_prefix="$artifacts/"
       "$work" "bench/fuzz/corpus/$h")
  say "$h: ${run[*]} (log: $log)"
  status=0
  started=$SECONDS
  "${run[@]}" >"$log" 2>&1 || status=$?
  # Wall time, corpus loading included: a crash ends the run early, and the row says so.
  ran=$((SECONDS - started))
  # libFuzzer's final statistics and its last status line ("#N DONE cov: C ft: F corp: K/S").
  final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  executions=$(final_stat number_of_executed_units)
  per_second=$(final_stat average_exec_per_sec)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
  crashes=0 hangs=0 ooms=0
  for f in "$artifacts"/*; do
    [[ -f $f ]] || continue
    case $(basename "$f") in
      slow-unit-*) continue ;;  # slower than -report_slow_units, yet within -timeout
      timeout-*) hangs=$((hangs + 1)) ;;
      oom-*) ooms=$((ooms + 1)) ;;
      *) crashes=$((crashes + 1)) ;;
    esac
    mkdir -p "bench/fuzz/crashes/$h"
    cp "$f" "bench/fuzz/crashes/$h/"
    say "$h: kept $(basename "$f") in bench/fuzz/crashes/$h/ (replayed by the test fuzz.$h)"
  done
  if [[ $status -ne 0 && $crashes -eq 0 && $hangs -eq 0 && $ooms -eq 0 ]]; then
    say "$h: libFuzzer exited with $status and kept no input; see $log"
    crashes="? (exit $status)"
  fi
  [[ $crashes == 0 && $hangs -eq 0 && $ooms -eq 0 ]] || failed=1
  echo "| $h | $ran | ${executions:-?} | ${per_second:-?} | ${corp:-?} | ${cov:-?} / ${ft:-?} | $crashes | $hangs | $ooms | $(date -u '+%Y-%m-%d %H:%M') |" \
    >"$build/fuzz-results/$h"
  say "$h: ${executions:-?} executions, ${per_second:-?}/s, corpus ${corp:-?}, crashes $crashes, hangs $hangs, out of memory $ooms"
done

# --- the table --------------------------------------------------------------------------------
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
clang_version=$(clang --version | head -1)
{
  echo "# Fuzzing: executions and crashes per harness"
  echo
  echo "Made by \`bench/fuzz/run.sh SECONDS [HARNESS...]\`, each harness on its own, one after the"
  echo "other, on one core; a row is the latest run of its harness (seconds: how long it ran;"
  echo "a crash ends a run early). The last command was \`$command_line\`."
  echo "Limits: -timeout=${timeout_s} s (a longer input counts as a hang), -rss_limit_mb=${rss_mb}."
  echo "Machine: $cpu, $(nproc) cores, shared with builds. Compiler: $clang_version,"
  echo "\`$flags\`."
  echo
  echo "Each run starts from the committed seeds (bench/fuzz/corpus/NAME) and what earlier runs"
  echo "found (build-fuzz/fuzz-corpus/NAME). Corpus: inputs/bytes at the end of the run;"
  echo "coverage: libFuzzer's edges / features. Crashes include sanitizer reports and broken"
  echo "promises of the harness (bench/fuzz/fuzz_check.hpp); every input that crashed is kept in"
  echo "bench/fuzz/crashes/NAME and replayed by the test suite."
  echo
  echo "| harness | seconds | executions | exec/s | corpus | coverage (edges / features) | crashes | hangs | out of memory | finished (UTC) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for h in "${harnesses_all[@]}"; do
    if [[ -f $build/fuzz-results/$h ]]; then cat "$build/fuzz-results/$h"; fi
  done
} >bench/results/fuzz.md
say "wrote bench/results/fuzz.md"
# Like a test: any crash, hang or exhausted memory fails the run.
exit $failed
