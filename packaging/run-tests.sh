#!/usr/bin/env bash
# The README's second command: install what is needed, build, run every test. CI runs exactly this.
#
# Phases (each in its own build folder, so running the script again only rebuilds what changed):
#   release  Release build of everything, the whole test suite (ctest).
#   asan     The whole test suite (GUI tests offscreen, not the Debian package test) built with
#            AddressSanitizer + UndefinedBehaviorSanitizer (gcc, -O2 -g1) and run by ctest.
#   tsan     The concurrency tests (pipeline, fault injection and cancellation, threaded kernels
#            and analysis, the GUI job runner) built with ThreadSanitizer (clang, libomp, Archer)
#            and run by ctest. See tsan_phase for why the MainWindow GUI tests are not in it.
#   fuzz     packaging/run-fuzz.sh: every libFuzzer target for QB_FUZZ_SECONDS (default 60) each.
# By default (and in CI) all four phases run. Measured on 2 cores, fresh clone (CI=true .ci/run):
# release 18:31, asan 26:31, tsan 2:42, fuzz 8:39: 56 minutes (fresh clone on a 2-core machine, 2026-12-06), within CI's 90-minute limit. QB_PHASES="release asan" picks phases, QB_FUZZ_SECONDS the time
# per fuzz target (QB_TESTS=quick forces release only). Every phase runs even when an earlier one failed; the script exits non-zero
# if any failed. The last lines printed are each phase's time and ctest's closing lines.
set -euo pipefail
cd "$(dirname "$0")/.."
self=$PWD/packaging/run-tests.sh
jobs=$(nproc)
build=${QB_BUILD_DIR:-build}
# shellcheck source=sanitizer-options.sh
source packaging/sanitizer-options.sh

# phase NAME: runs NAME_phase in a child of this script under /usr/bin/time, records its wall and
# CPU time (user + system of everything it ran: on a shared machine the wall time says little,
# CPU time / cores estimates a dedicated runner) and its result; never stops the script.
phase() {
  local name=$1 status=0 wall user sys
  echo "==== phase $name"
  /usr/bin/time -f '%e %U %S' -o "$QB_LOGS/$name.time" bash "$self" --phase "$name" || status=$?
  # /usr/bin/time adds "Command exited with non-zero status N" first on failure: take the last line.
  read -r wall user sys < <(tail -n 1 "$QB_LOGS/$name.time") || true
  summary+=("$(awk -v n="$name" -v w="${wall:-0}" -v u="${user:-0}" -v s="${sys:-0}" \
                 -v r="$([ $status -eq 0 ] && echo ok || echo "FAILED (exit $status)")" \
                 'BEGIN { c = u + s; printf "%-8s wall %3d:%02d  cpu %3d:%02d  %s", n, w / 60, w % 60, c / 60, c % 60, r }')")
  [ $status -eq 0 ] || failed=1
}

# ctest with its output kept for the closing summary. --no-tests=error: a build folder configured
# without tests (packaging/run-gui.sh configures build/ with QB_BUILD_TESTS=OFF) or a regex that
# matches nothing is a failure, never "No tests were found" and exit 0.
run_ctest() {
  local tag=$1; shift
  ctest --no-tests=error "$@" 2>&1 | tee "$QB_LOGS/$tag.ctest"
}

# configure PRESET DIR [CMAKE ARGS…]: the flags of each phase live in CMakePresets.json (release, asan, tsan,
# fuzz), so a developer's `cmake --preset asan` is exactly the CI build. Tests are ON in every
# test preset, given on the command line too, so an existing cache with QB_BUILD_TESTS=OFF
# (run-gui.sh's) is overridden.
configure() {
  local preset=$1 dir=$2
  shift 2
  cmake --preset "$preset" -S . -B "$dir" -DQB_BUILD_TESTS=ON "$@" > /dev/null
}

# llama.cpp for `evaluate` and its test (npm packages, into the build tree, never the repository):
# prints the folder to give as QB_LLAMA_DIR. Both phases share one fetch.
fetch_llama() {
  bash packaging/llama-reference/fetch-llama.sh "$build/llama" | tail -n 1
}

release_phase() {
  configure release "$build" -DQB_LLAMA_DIR="$(fetch_llama)"
  cmake --build "$build" -j"$jobs"
  run_ctest release --test-dir "$build" --output-on-failure -j"$jobs"
}

asan_phase() {
  local dir=build-asan
  configure asan "$dir" -DQB_LLAMA_DIR="$(fetch_llama)"
  # Everything: script tests (cli_quantize, tst_cli_inspect) run the instrumented quantbench-cli too.
  cmake --build "$dir" -j"$jobs"
  # Leak checking on, and a sanitizer report exits with 86, never with an exit code a test
  # expects (packaging/sanitizer-options.sh says why).
  qb_export_asan_options
  # cli_llama_2026 (byte comparison with llama.cpp's own llama-quantize, about 5 minutes) runs in the
  # release phase only, to keep CI well inside its 90 minutes; the 2026-09 rule paths still run under
  # ASan through cli_quantize, tst_moe_rule_sets and tst_rule_sets.
  QT_QPA_PLATFORM=offscreen run_ctest asan --test-dir "$dir" --output-on-failure -j"$jobs" \
    -E '^(packaging_deb|cli_memory_bound|cli_llama_2026)$'
}

# ThreadSanitizer only understands synchronization it can see. GNU libgomp is not instrumented,
# so its barriers look like no synchronization at all and every parallel loop would be reported
# as a race (false positives). This phase is therefore built with clang and LLVM's libomp, and
# runs with Archer (libarcher.so, LLVM's OpenMP tool for TSan), which tells TSan about every
# OpenMP barrier, task and lock: the kernels' parallel loops are checked for real, with their
# real thread counts, and nothing is suppressed. Accesses made inside the uninstrumented
# libraries themselves (libomp, Qt) are ignored (ignore_noninstrumented_modules), as Archer's
# documentation prescribes; races in our code that involve them are still reported.
#
# The GUI tests that open a MainWindow are not in this phase: its pages hand work to QtConcurrent
# and results back by queued calls, and Debian's Qt is not instrumented (Qt 6 mutexes are
# futexes), so TSan sees none of those hand-offs and reports each one as a race (measured:
# tst_main_window, tst_quantize_dialog fail on every run, tst_histogram_page intermittently,
# all on objects built on one side of a QThreadPool/postEvent hand-off). The constructor frames
# of Qt's own hand-off objects are listed in tests/sanitizers/tsan.supp; the rest would need our
# frames listed, which this phase never does. The GUI job runner's test stays in, and so does the
# job tracker's (every page's and job's background work: supersession, cancellation, delivery).
tsan_tests() {
  echo tst_pipeline tst_fault_injection tst_kernels_micro tst_kernels_rows tst_analysis tst_quantize_job tst_job_tracker
}

tsan_phase() {
  local dir=build-tsan archer
  archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | sort -V | tail -1)
  [ -n "$archer" ] || { echo "libarcher.so not found (package libomp-14-dev)"; return 1; }
  configure tsan "$dir"
  mapfile -t targets < <(tsan_tests | tr ' ' '\n')
  cmake --build "$dir" -j"$jobs" --target "${targets[@]}"
  local regex
  regex="^($(tsan_tests | tr ' ' '\n' | paste -sd'|'))\$"
  # Suppressions (tests/sanitizers/tsan.supp: Qt's and libomp's internals only) and exit code 86
  # come from packaging/sanitizer-options.sh.
  qb_export_tsan_options
  OMP_TOOL_LIBRARIES=$archer QT_QPA_PLATFORM=offscreen \
    run_ctest tsan --test-dir "$dir" --output-on-failure -j"$jobs" -R "$regex"
}

fuzz_phase() {
  bash packaging/run-fuzz.sh "${QB_FUZZ_SECONDS:-60}"
}

# Child: one phase (see phase()).
if [ "${1:-}" = --phase ]; then
  "${2}_phase"
  exit
fi
# Child for tests/packaging/test_run_tests.sh: one step of this script on its own, e.g.
# --step configure release DIR, or --step run_ctest TAG ARGS... (with QB_LOGS set).
if [ "${1:-}" = --step ]; then
  case "${2:-}" in configure | run_ctest) ;; *) echo "unknown step: ${2:-}" >&2; exit 2 ;; esac
  "${@:2}"
  exit
fi

bash packaging/install-deps.sh
phases=${QB_PHASES:-release asan tsan fuzz}
[ "${QB_TESTS:-full}" = quick ] && phases=release
QB_LOGS=$(mktemp -d)
export QB_LOGS
trap 'rm -rf "$QB_LOGS"' EXIT
declare -a summary=()
failed=0

for p in release asan tsan fuzz; do
  case " $phases " in
    *" $p "*) phase "$p" "${p}_phase" ;;
    *) echo "==== phase $p skipped (QB_TESTS=${QB_TESTS:-} QB_PHASES=${QB_PHASES:-})" ;;
  esac
done

echo "==== summary (phase, wall and CPU minutes:seconds, result)"
printf '%s\n' "${summary[@]}"
for tag in asan tsan release; do
  [ -f "$QB_LOGS/$tag.ctest" ] || continue
  echo "-- $tag:"
  grep -E "tests passed|tests failed|Total Test time" "$QB_LOGS/$tag.ctest" || echo "(ctest did not finish)"
done
exit $failed
