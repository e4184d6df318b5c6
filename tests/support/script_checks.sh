# Shared preamble of the shell tests that compare values (tests/cli/test_*.sh; cli_checks.sh builds
# on it): a scratch folder T removed on exit, the failure counter, and the two checks they use.
# Sourced; the script prints "$failures" and exits non-zero itself when any check failed.
# shellcheck shell=bash
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0

check() {  # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1 (expected $2, got $3)"; failures=$((failures + 1)); fi
}
py() {  # py NAME SCRIPT ARGS...: a python3 check; it prints its own details, exits non-zero on failure
    local name=$1 script=$2
    shift 2
    if python3 -c "$script" "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
