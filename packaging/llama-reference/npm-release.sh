# Sourced by fetch.sh, fetch-llama-quantize.sh and fetch-llama.sh: the one place that fetches the
# llama.cpp release node-llama-cpp 3.22.1 ships (llama.cpp commit 0ad4a86) from npm. Debian 12 has
# no llama.cpp package; npm serves it in two packages, unpacked into a folder of the build tree
# (never into the repository):
#   @node-llama-cpp/linux-x64@3.22.1  prebuilt CPU libraries (libllama, libllama-common, libggml*,
#                                      one libggml-cpu-<variant>.so per CPU family, chosen at run time)
#   node-llama-cpp@3.22.1              the matching sources as a git bundle (llama/gitRelease.bundle)
# Each function does nothing when its result is already there, and exits 2 naming what is missing
# (npm, git) when it has to fetch.

npm_release_need() { command -v "$1" > /dev/null || { echo "$1 is needed (Debian: apt-get install $1)" >&2; exit 2; }; }

# npm_release_libs DIR: the prebuilt libraries in DIR/package/bins/linux-x64; prints that folder.
npm_release_libs() {
    local dir=$1 bins=$1/package/bins/linux-x64
    if [ ! -f "$bins/libllama.v0.5.0.so" ]; then
        npm_release_need npm
        (cd "$dir" && npm pack --silent @node-llama-cpp/linux-x64@3.22.1 > /dev/null &&
            tar xzf node-llama-cpp-linux-x64-3.22.1.tgz)
    fi
    echo "$bins"
}

# npm_release_sources DIR: the sources cloned from the bundle into DIR/llama.cpp (only the bundle is
# taken from the package, 35 MB packed); prints that folder.
npm_release_sources() {
    local dir=$1 src=$1/llama.cpp tmp
    if [ ! -f "$src/include/llama.h" ] || [ ! -f "$src/tools/quantize/quantize.cpp" ]; then
        npm_release_need npm
        npm_release_need git
        tmp=$(mktemp -d "$dir/sources.XXXXXX")
        (cd "$tmp" && npm pack --silent node-llama-cpp@3.22.1 > /dev/null &&
            tar xzf node-llama-cpp-3.22.1.tgz package/llama/gitRelease.bundle &&
            git clone --quiet package/llama/gitRelease.bundle llama.cpp 2> /dev/null)
        rm -rf "$src"
        mv "$tmp/llama.cpp" "$src"
        rm -rf "$tmp"
    fi
    echo "$src"
}
