#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UndefinedBehaviorSanitizer) and runs
# each for a bounded time, seeded from ../shared/golden (read in place; seeds go to a temporary
# folder) and from tests/fuzz/make_*_seeds.py. Targets: the GGUF reader, split sets, both
# importance-matrix formats, presets, and the command line's type/label/pattern/override values.
# Seeds also come from tests/fuzz/regressions/<target>/. Exits non-zero on any finding; the
# crashing input is kept in $QB_FUZZ_ARTIFACTS: add it to tests/fuzz/regressions/<target>/ once
# fixed, and ctest replays it in every phase.
# Usage: run-fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${QB_FUZZ_BUILD_DIR:-build-fuzz}
golden=${QB_GOLDEN_DIR:-$(pwd)/../shared/golden}
artifacts=${QB_FUZZ_ARTIFACTS:-$build/findings}

# The flags are CMakePresets.json's "fuzz" preset (clang, ASan + UBSan, no GUI, no tests).
cmake --preset fuzz -S . -B "$build" > /dev/null
targets=(fuzz_gguf_reader fuzz_gguf_split fuzz_imatrix fuzz_imatrix_gguf fuzz_preset fuzz_cli_args)
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$seeds"/{gguf,imatrix,imatrix_gguf,split,preset,cli} "$artifacts"
# GGUF seeds: the headers of the golden models and pure files (the first 64 KiB hold them).
for f in "$golden"/models/*.gguf "$golden"/pure/*.gguf "$golden"/imatrix/*.gguf; do
  head -c 65536 "$f" > "$seeds/gguf/$(basename "$f")"
done
cp "$golden"/imatrix/*.dat "$seeds/imatrix/"
cp "$golden"/imatrix/*.gguf "$seeds/imatrix_gguf/"
# Preset and command-line seeds: small valid ones and a few the parsers must refuse.
python3 tests/fuzz/make_text_seeds.py "$seeds/preset" "$seeds/cli"
# Split-set seeds: small valid and broken two-part sets in fuzz_gguf_split's input layout.
python3 tests/fuzz/make_split_seeds.py "$seeds/split"
# Every target also starts from its committed regression inputs (hostile cases and past findings,
# replayed by ctest as fuzz_replay_<target>), except slow-* ones: costly by design, they would
# take most of a short run (see tests/fuzz/make_regression_inputs.py).
for pair in fuzz_gguf_reader:gguf fuzz_imatrix:imatrix fuzz_imatrix_gguf:imatrix_gguf fuzz_gguf_split:split \
            fuzz_preset:preset fuzz_cli_args:cli; do
  find tests/fuzz/regressions/"${pair%%:*}" -maxdepth 1 -type f ! -name 'slow-*' -exec cp -t "$seeds/${pair##*:}/" {} +
done

status=0
run() {
  local target=$1 corpus=$2; shift 2
  echo "== $target for ${seconds}s"
  if ! "$build/bin/$target" "$corpus" -max_total_time="$seconds" -max_len=131072 -rss_limit_mb=2048 \
        -timeout=10 -artifact_prefix="$artifacts/$target-" -print_final_stats=1 "$@" 2> "$build/$target.log"; then
    tail -40 "$build/$target.log"; status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$target.log" || true
}
run fuzz_gguf_reader "$seeds/gguf" -dict=tests/fuzz/gguf.dict
run fuzz_imatrix "$seeds/imatrix"
run fuzz_gguf_split "$seeds/split" -dict=tests/fuzz/gguf.dict
run fuzz_imatrix_gguf "$seeds/imatrix_gguf" -dict=tests/fuzz/gguf.dict
run fuzz_preset "$seeds/preset" -dict=tests/fuzz/preset.dict -max_len=8192
run fuzz_cli_args "$seeds/cli" -dict=tests/fuzz/cli.dict -max_len=8192
exit $status
