#!/usr/bin/env bash
# quantbench --help and --version print and exit 0 without any display: no DISPLAY, no
# WAYLAND_DISPLAY and no QT_QPA_PLATFORM (a window would need one of them).
# Usage: test_gui_information.sh QUANTBENCH VERSION
set -u
GUI=$1
VERSION=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0
nodisplay() { env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM timeout 30 "$GUI" "$@"; }

check() {  # check NAME EXPECTED_RC ACTUAL_RC
    if [ "$2" != "$3" ]; then echo "FAIL $1: exit code $3, expected $2"; failures=$((failures + 1)); else echo "ok   $1"; fi
}

nodisplay --version > "$T/version" 2> "$T/err"; check "--version exits 0" 0 $?
if [ "$(cat "$T/version")" = "QuantBench $VERSION" ]; then echo "ok   --version prints 'QuantBench $VERSION'"
else echo "FAIL --version printed '$(cat "$T/version")' (stderr: $(head -3 "$T/err"))"; failures=$((failures + 1)); fi

for flag in --help -h; do
    nodisplay "$flag" > "$T/help" 2> "$T/err"; check "$flag exits 0" 0 $?
    for text in "Usage:" "--screenshot <FILE>" "--version" "[MODEL.gguf] [IMATRIX.dat]"; do
        if grep -qF -- "$text" "$T/help"; then echo "ok   $flag lists '$text'"
        else echo "FAIL $flag does not list '$text':"; head -5 "$T/help" "$T/err"; failures=$((failures + 1)); fi
    done
done

# The same environment really has no display: opening the window there fails (Qt cannot load a
# platform), so the passes above did not borrow one.
nodisplay > "$T/window" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then echo "ok   without --help the window cannot open here (exit $rc)"
else echo "FAIL the window opened or hung without a display (exit $rc)"; failures=$((failures + 1)); fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
