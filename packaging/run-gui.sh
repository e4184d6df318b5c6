#!/usr/bin/env bash
# The README's first command: install what is needed, build, launch the GUI on the demo model.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${QB_BUILD_DIR:-build}
# QB_CONFIGURE_ONLY=1 stops after configuring (tests/packaging/test_run_tests.sh replays a new
# user's run-gui.sh then run-tests.sh in a scratch folder with it).
configure() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQB_BUILD_TESTS=OFF
}
if [ "${QB_CONFIGURE_ONLY:-0}" = 1 ]; then
  configure
  exit
fi
bash packaging/install-deps.sh
configure
cmake --build "$build" -j"$(nproc)"
demo="$build/share/quantbench/demo.gguf"
if [ -f "$demo" ]; then
  exec "$build/bin/quantbench" "$demo" "$@"
fi
exec "$build/bin/quantbench" "$@"
