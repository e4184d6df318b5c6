#!/usr/bin/env bash
# Builds llama.cpp's own `llama-quantize` of the release node-llama-cpp 3.22.1 ships (llama.cpp
# commit 0ad4a86, 2026-09-28) and unpacks that release's sources, for the 2026-09 rule set's tests.
#
# fetch.sh brings the prebuilt libraries (@node-llama-cpp/linux-x64); npm's node-llama-cpp package
# carries the matching sources as a git bundle (package/llama/gitRelease.bundle). From it this
# compiles tools/quantize/*.cpp, unchanged, against the prebuilt libllama and libllama-common, so
# the tests run the very llama-quantize users run. Everything goes to DIR (default
# build/llama-reference): DIR/llama-quantize, DIR/llama.cpp (sources, tests/snapshots/*.schema).
# Nothing fetched is kept in the repository. Needs npm, git and g++.
#
# Usage: packaging/llama-reference/fetch-llama-quantize.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mkdir -p "${1:-build/llama-reference}" && cd "${1:-build/llama-reference}" && pwd)
source "$here/npm-release.sh"
"$here/fetch.sh" "$dir" > /dev/null
lib=$dir/package/bins/linux-x64
src=$(npm_release_sources "$dir")
if [ ! -x "$dir/llama-quantize" ] || [ "$src/tools/quantize/quantize.cpp" -nt "$dir/llama-quantize" ]; then
    g++ -std=c++17 -O1 -w -I"$src/include" -I"$src/ggml/include" -I"$src/common" -I"$src/vendor" \
        -o "$dir/llama-quantize.tmp" "$src/tools/quantize/main.cpp" "$src/tools/quantize/quantize.cpp" \
        "$lib/libllama.v0.5.0.so" "$lib/libllama-common.so" "$lib/libggml-base.so" "$lib/libggml.v0.5.0.so" \
        -Wl,-rpath,"$lib"
    mv "$dir/llama-quantize.tmp" "$dir/llama-quantize"
fi
echo "$dir/llama-quantize"
