#!/bin/bash
# The CLI-only build (-DQB_BUILD_GUI=OFF) configures and compiles without Qt Widgets, Qt Gui,
# PrintSupport or QCustomPlot: CMake is told those packages do not exist (a find_package of any of
# them fails the configure), the CLI and the Qt-Core session library are compiled and linked in a
# fresh scratch folder, the executable runs, and neither the build files nor the binary name a GUI
# library. The scratch folder is a sibling of BUILD_DIR (build-cli-only.*, which .gitignore's
# /build*/ covers when BUILD_DIR is in the checkout): the same depth gives the same relative include
# paths, so ccache, when installed, answers the compiles BUILD_DIR already made.
# Usage: test_cli_only_build.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
SRC=$1
T=$(mktemp -d "$(dirname "$(realpath "$2")")/build-cli-only.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$SRC" -B "$T" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQB_BUILD_GUI=OFF -DQB_BUILD_TESTS=OFF \
    -DQB_BUILD_BENCHMARKS=OFF "${launcher[@]}" \
    -DCMAKE_DISABLE_FIND_PACKAGE_Qt6Gui=ON -DCMAKE_DISABLE_FIND_PACKAGE_Qt6Widgets=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_Qt6PrintSupport=ON -DCMAKE_DISABLE_FIND_PACKAGE_QCustomPlotQt6=ON \
    >"$T/configure.log" 2>&1 || { tail -30 "$T/configure.log"; fail "configure without the GUI packages"; }
echo "ok   configured without Qt Gui, Widgets, PrintSupport, QCustomPlot"

cmake --build "$T" -j2 --target quantbench-cli qbsession >"$T/build.log" 2>&1 ||
    { tail -30 "$T/build.log"; fail "build of quantbench-cli and qbsession"; }
compiled=$(grep -c 'Building CXX object' "$T/build.log")
[ "$compiled" -ge 50 ] || fail "only $compiled files compiled: the build did not run"
echo "ok   built quantbench-cli and qbsession ($compiled files compiled)"

cli=$T/bin/quantbench-cli
[ -x "$cli" ] || fail "no $cli"
"$cli" --version | grep -q '^quantbench-cli ' || fail "quantbench-cli --version"
"$cli" labels >/dev/null || fail "quantbench-cli labels"
echo "ok   the CLI runs"

if grep -Eiq 'Qt6?Widgets|Qt6?Gui|PrintSupport|qcustomplot' "$T/build.ninja"; then
    grep -Eio 'Qt6?Widgets|Qt6?Gui|PrintSupport|qcustomplot' "$T/build.ninja" | sort -u
    fail "the build files name a GUI library"
fi
if ldd "$cli" | grep -Eiq 'Widgets|Qt6Gui|PrintSupport|qcustomplot'; then
    ldd "$cli"
    fail "quantbench-cli links a GUI library"
fi
echo "ok   no GUI library in the build files or the executable"
