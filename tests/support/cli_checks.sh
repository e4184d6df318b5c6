# Shared preamble of the CLI shell tests (tests/cli/test_*.sh), sourced with the script's own
# arguments in place: CLI=$1 (quantbench-cli), G=$2 (golden folder), and script_checks.sh's scratch
# folder T, failure counter and py, with check comparing exit codes and expect_text.
# shellcheck shell=bash
set -u
CLI=$1
G=$2
# shellcheck source=script_checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/script_checks.sh"

check() {  # check NAME EXPECTED_RC ACTUAL_RC
    if [ "$2" != "$3" ]; then echo "FAIL $1: exit code $3, expected $2"; failures=$((failures + 1)); else echo "ok   $1"; fi
}
expect_text() {  # expect_text NAME FILE TEXT
    if grep -qF -- "$3" "$2"; then echo "ok   $1"; else echo "FAIL $1: '$3' not in output:"; head -5 "$2"; failures=$((failures + 1)); fi
}
