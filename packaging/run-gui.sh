#!/usr/bin/env bash
# The README's first command: install what is needed, build, launch the GUI on the demo model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
build=${QB_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQB_BUILD_TESTS=OFF
cmake --build "$build" -j"$(nproc)"
demo="$build/share/quantbench/demo.gguf"
if [ -f "$demo" ]; then
  exec "$build/bin/quantbench" "$demo" "$@"
fi
exec "$build/bin/quantbench" "$@"
