#!/bin/bash
# The CLI-only build (-DQB_BUILD_GUI=OFF) needs neither Qt Widgets, Qt Gui, PrintSupport nor
# QCustomPlot: CMake is told those packages do not exist (a find_package of any of them fails the
# configure), and the generated build of quantbench-cli and the Qt-Core session library names none
# of them (no include path, no library). Compiling is not repeated here (a scratch build from
# nothing takes minutes on CI's 2 cores without ccache): the same sources are compiled by the
# enclosing build, whose CLI links no GUI library either (checked with ldd), so a GUI header in
# them could not compile there. ninja's dry run proves the scratch build is complete (every object
# and the link are planned).
# Usage: test_cli_only_build.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
SRC=$1
T=$(mktemp -d "${TMPDIR:-/tmp}/build-cli-only.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

launcher=()  # configure only: no compiler runs, the launcher only keeps the cache line consistent
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$SRC" -B "$T" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQB_BUILD_GUI=OFF -DQB_BUILD_TESTS=OFF \
    -DQB_BUILD_BENCHMARKS=OFF "${launcher[@]}" \
    -DCMAKE_DISABLE_FIND_PACKAGE_Qt6Gui=ON -DCMAKE_DISABLE_FIND_PACKAGE_Qt6Widgets=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_Qt6PrintSupport=ON -DCMAKE_DISABLE_FIND_PACKAGE_QCustomPlotQt6=ON \
    >"$T/configure.log" 2>&1 || { tail -30 "$T/configure.log"; fail "configure without the GUI packages"; }
echo "ok   configured without Qt Gui, Widgets, PrintSupport, QCustomPlot"

ninja -C "$T" -n quantbench-cli qbsession >"$T/plan.log" 2>&1 || { tail -30 "$T/plan.log"; fail "ninja cannot plan quantbench-cli"; }
planned=$(grep -c 'Building CXX object' "$T/plan.log")
[ "$planned" -ge 50 ] || fail "only $planned files planned: the scratch build is incomplete"
grep -q 'Linking CXX executable bin/quantbench-cli' "$T/plan.log" || fail "the scratch build does not link quantbench-cli"
echo "ok   quantbench-cli and qbsession planned ($planned files to compile, one link)"

cli=$2/bin/quantbench-cli
[ -x "$cli" ] || fail "no $cli"
"$cli" --version | grep -q '^quantbench-cli ' || fail "quantbench-cli --version"
echo "ok   the enclosing build's CLI runs"

if grep -Eiq 'Qt6?Widgets|Qt6?Gui|PrintSupport|qcustomplot' "$T/build.ninja"; then
    grep -Eio 'Qt6?Widgets|Qt6?Gui|PrintSupport|qcustomplot' "$T/build.ninja" | sort -u
    fail "the build files name a GUI library"
fi
if ldd "$cli" | grep -Eiq 'Widgets|Qt6Gui|PrintSupport|qcustomplot'; then
    ldd "$cli"
    fail "quantbench-cli links a GUI library"
fi
echo "ok   no GUI library in the build files or the executable"
