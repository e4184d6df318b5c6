#!/usr/bin/env bash
# Builds `llama-quantize-lib`, llama.cpp's quantizer for side-by-side benchmarks, and prints its path.
#
# No llama-quantize binary can be fetched or built here (the network reaches Debian and npm only),
# but npm serves llama.cpp's prebuilt CPU libraries in the package @node-llama-cpp/linux-x64. Its
# libllama exports llama_model_quantize(), the one call llama-quantize makes; the small driver in
# this folder makes it with llama-quantize's defaults. Nothing fetched is kept in the repository:
# it goes to DIR (default build/llama-reference). Needs npm (Debian: apt-get install npm) and gcc.
#
# Usage: packaging/llama-reference/fetch.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mkdir -p "${1:-build/llama-reference}" && cd "${1:-build/llama-reference}" && pwd)
source "$here/npm-release.sh"
lib=$(npm_release_libs "$dir")
gcc -O2 -Wall -Wextra -o "$dir/llama-quantize-lib" "$here/llama_quantize_driver.c" \
    "$lib/libllama.v0.5.0.so" -Wl,-rpath,"$lib"
echo "$dir/llama-quantize-lib"
