#!/usr/bin/env bash
# The test command must not pass without testing. Replays a new user's two README commands in one
# scratch build folder, configure steps only (cheap enough for every CI run): run-gui.sh configures
# with QB_BUILD_TESTS=OFF, then run-tests.sh's release configure must turn the tests back on, and
# run-tests.sh's ctest wrapper must fail on a folder with no tests instead of exiting 0.
# Usage: test_run_tests.sh REPO_ROOT
set -uo pipefail
root=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export QB_LOGS=$T/logs
mkdir -p "$QB_LOGS"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$T/build/CMakeCache.txt"; }

# 1. The README's first command, configure step, into the scratch folder.
QB_BUILD_DIR=$T/build QB_CONFIGURE_ONLY=1 bash "$root/packaging/run-gui.sh" > "$T/gui.log" 2>&1 ||
  { cat "$T/gui.log"; fail "run-gui.sh configure failed"; }
[ "$(cache_value QB_BUILD_TESTS)" = OFF ] || fail "run-gui.sh should configure QB_BUILD_TESTS=OFF (scenario not reproduced)"

# 2. run-tests.sh's ctest on that folder: no test is a failure, not a pass.
if bash "$root/packaging/run-tests.sh" --step run_ctest release --test-dir "$T/build" > "$T/empty.log" 2>&1; then
  cat "$T/empty.log"; fail "run_ctest exited 0 on a build folder without tests"
fi
grep -q "No tests were found" "$T/empty.log" || { cat "$T/empty.log"; fail "ctest did not report the missing tests"; }

# 3. The second command's release configure, same folder: tests are on and registered.
bash "$root/packaging/run-tests.sh" --step configure release "$T/build" > "$T/tests.log" 2>&1 ||
  { cat "$T/tests.log"; fail "run-tests.sh release configure failed"; }
[ "$(cache_value QB_BUILD_TESTS)" = ON ] || fail "run-tests.sh left QB_BUILD_TESTS=$(cache_value QB_BUILD_TESTS)"
[ "$(cache_value CMAKE_BUILD_TYPE)" = Release ] || fail "release phase build type is $(cache_value CMAKE_BUILD_TYPE)"
ctest --test-dir "$T/build" -N --no-tests=error > "$T/list.log" 2>&1 || { cat "$T/list.log"; fail "ctest -N found no tests"; }
for t in tst_gguf_reader tst_pipeline cli_quantize fuzz_replay_fuzz_gguf_reader; do
  grep -q ": $t\$" "$T/list.log" || fail "test $t not registered after run-tests.sh's configure"
done

# 4. Every ctest call in the test scripts refuses to pass having run nothing.
for script in run-tests.sh run-fuzz.sh run-benchmarks.sh; do
  grep -nE '(^|[[:space:];&|])ctest[[:space:]]' "$root/packaging/$script" | grep -v '^[0-9]*:[[:space:]]*#' |
    grep -v -- '--no-tests=error' | while read -r line; do echo "FAIL: $script:$line lacks --no-tests=error"; done
done > "$T/calls.log"
[ -s "$T/calls.log" ] && { cat "$T/calls.log"; failures=$((failures + 1)); }

[ $failures -eq 0 ] && echo "ok: run-gui.sh then run-tests.sh configure runs the tests; no-test ctest fails"
exit $((failures > 0))
