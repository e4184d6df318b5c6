#!/usr/bin/env bash
# Fetches llama.cpp (the release our users run) for `quantbench-cli evaluate` and its tests, and
# builds llama.cpp's own llama-perplexity beside it, the reference the tests compare with.
#
# Debian 12 has no llama.cpp package; npm serves it in two packages, both packed into DIR (never
# into the repository):
#   @node-llama-cpp/linux-x64@3.22.1  prebuilt CPU libraries (libllama, libllama-common, libggml*,
#                                      one libggml-cpu-<variant>.so per CPU family, chosen at run time)
#   node-llama-cpp@3.22.1              the matching sources as a git bundle (llama/gitRelease.bundle),
#                                      cloned for the headers and for tools/perplexity
# Result: DIR/dist with include/ (llama.h, ggml headers) and lib/ (the libraries and the
# llama-perplexity executable: ggml looks for its CPU backends next to the executable that loads
# them, so the tool lives in lib/). Configure with -DQB_LLAMA_DIR=DIR/dist.
# Needs npm, git and g++. Prints DIR/dist.
#
# Usage: packaging/llama-reference/fetch-llama.sh [DIR]   (default build/llama)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/npm-release.sh"
dir=$(mkdir -p "${1:-build/llama}" && cd "${1:-build/llama}" && pwd)
dist=$dir/dist

need() { command -v "$1" > /dev/null || { echo "fetch-llama.sh: $1 is needed ($2)" >&2; exit 2; }; }
need npm "Debian: apt-get install npm"
need git "Debian: apt-get install git"
need g++ "Debian: apt-get install g++"

bins=$(npm_release_libs "$dir")
src=$(npm_release_sources "$dir")

mkdir -p "$dist/include" "$dist/lib"
cp "$src/include/llama.h" "$src/ggml/include/"*.h "$dist/include/"
cp "$bins/"lib*.so "$dist/lib/"
# The unversioned names a linker looks for.
ln -sf libllama.v0.5.0.so "$dist/lib/libllama.so"
ln -sf libggml.v0.5.0.so "$dist/lib/libggml.so"

# llama-perplexity from the same sources, against the prebuilt libraries (libllama-common holds
# llama.cpp's common/ code: argument parsing, tokenization helpers).
if [ ! -x "$dist/lib/llama-perplexity" ] || [ "$src/tools/perplexity/perplexity.cpp" -nt "$dist/lib/llama-perplexity" ]; then
    g++ -std=c++17 -O2 -w -I"$src/common" -I"$src/include" -I"$src/ggml/include" -I"$src/vendor" \
        "$src/tools/perplexity/perplexity.cpp" "$src/tools/perplexity/main.cpp" -o "$dist/lib/llama-perplexity.tmp" \
        -L"$dist/lib" -lllama-common -lllama -lggml -lggml-base -pthread -Wl,-rpath,'$ORIGIN'
    mv "$dist/lib/llama-perplexity.tmp" "$dist/lib/llama-perplexity"
fi
echo "$dist"
