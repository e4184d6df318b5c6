#!/usr/bin/env bash
# Installs every Debian 12 package QuantBench needs to build, test and run.
# Idempotent: packages already present are skipped, so running it twice is cheap.
set -euo pipefail

packages=(
  build-essential cmake ninja-build
  qt6-base-dev libqcustomplot-dev     # Qt 6 Widgets/Test/PrintSupport, QCustomPlot (QCustomPlotQt6)
  libgomp1                            # OpenMP runtime (ships with g++)
  nlohmann-json3-dev                  # JSON (inspect --json, presets, golden manifests)
  libcli11-dev                        # command-line parsing for quantbench-cli
  libbenchmark-dev                    # kernel benchmarks
  clang libclang-rt-14-dev            # sanitizer and fuzzer builds
  libomp-14-dev                       # LLVM OpenMP + Archer (libarcher.so) for the ThreadSanitizer build
  xvfb xauth                          # a real X display when one is needed
  shared-mime-info                    # update-mime-database, to check the MIME definition
  desktop-file-utils appstream        # validation of the desktop entry and metainfo
  file dpkg-dev                       # CPack's dependency computation (dpkg-shlibdeps)
  python3                             # writes the fuzz seeds (split sets, presets, arguments)
  time                                # /usr/bin/time: run-tests.sh measures each phase
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
