#!/usr/bin/env bash
# The README's second command: install what is needed, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
build=${QB_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
