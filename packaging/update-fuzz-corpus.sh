#!/usr/bin/env bash
# Merges what the fuzzers found (build-fuzz/corpus/<target>/, written by run-fuzz.sh) with the
# committed corpus (tests/fuzz/corpus/<target>/) into a new minimized committed corpus: libFuzzer's
# -merge=1 keeps the smallest set of inputs that reaches the same coverage. Inputs over 64 KiB
# are left out (the committed corpus stays small: a few MB in all; the golden headers that seed
# the GGUF targets are 64 KiB each and come from ../shared/golden anyway). Run after
# packaging/run-fuzz.sh (same build folder), review, and commit tests/fuzz/corpus/.
# Usage: update-fuzz-corpus.sh [TARGET...]   (default: all six)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${QB_FUZZ_BUILD_DIR:-build-fuzz}
max_bytes=65536
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_gguf_reader fuzz_gguf_split fuzz_imatrix fuzz_imatrix_gguf fuzz_preset fuzz_cli_args)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
  [ -x "$build/bin/$target" ] || { echo "$build/bin/$target missing: run packaging/run-fuzz.sh first" >&2; exit 1; }
  mkdir -p "$work/$target/in" "$work/$target/out" tests/fuzz/corpus/"$target"
  # Candidates: the committed corpus and the new finds, each at most max_bytes.
  for dir in tests/fuzz/corpus/"$target" "$build/corpus/$target"; do
    [ -d "$dir" ] && find "$dir" -maxdepth 1 -type f -size -$((max_bytes + 1))c -exec cp -t "$work/$target/in/" {} +
  done
  "$build/bin/$target" -merge=1 -max_len=$max_bytes -rss_limit_mb=2048 -timeout=10 \
      "$work/$target/out" "$work/$target/in" 2> "$work/$target.log" || { tail -20 "$work/$target.log"; exit 1; }
  rm -rf tests/fuzz/corpus/"$target"
  mkdir -p tests/fuzz/corpus/"$target"
  cp "$work/$target/out/"* tests/fuzz/corpus/"$target"/ 2>/dev/null || true
  echo "$target: $(ls tests/fuzz/corpus/"$target" | wc -l) inputs, $(du -sk tests/fuzz/corpus/"$target" | cut -f1) KiB ($(grep -E 'MERGE-OUTER: [0-9]+ new files' "$work/$target.log" | tail -1))"
done
