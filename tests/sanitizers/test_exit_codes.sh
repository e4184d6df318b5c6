#!/usr/bin/env bash
# The sanitizer options of run-tests.sh (packaging/sanitizer-options.sh) make every kind of report
# exit with 86, never with 1 or 2, which tests expect from quantbench-cli on purpose (a full disk
# is exit 1 in tests/cli/test_quantize.sh). Checked with small programs built the way the asan
# phase (gcc, address + undefined) and the tsan phase (clang, thread) build the project.
# Usage: test_exit_codes.sh REPO_ROOT
set -uo pipefail
root=$1
# shellcheck source=../../packaging/sanitizer-options.sh
source "$root/packaging/sanitizer-options.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0

cat > "$T/bad.cpp" <<'CPP'
#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>
int g_shared = 0;
int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    if (!std::strcmp(what, "overflow")) {  // heap buffer overflow (ASan)
        volatile char *p = static_cast<char *>(std::malloc(8));
        p[8] = 1;
        std::free((void *)p);
    } else if (!std::strcmp(what, "ub")) {  // signed overflow (UBSan)
        volatile int x = INT_MAX;
        x = x + argc;
    } else if (!std::strcmp(what, "leak")) {  // a leak (LSan)
        static void *volatile kept;
        kept = std::malloc(64);
        kept = nullptr;
    } else if (!std::strcmp(what, "race")) {  // two threads write without synchronization (TSan)
        std::thread a([] { g_shared = 1; });
        std::thread b([] { g_shared = 2; });
        a.join();
        b.join();
    } else if (!std::strcmp(what, "exit1")) {
        return 1;
    }
    return 0;
}
CPP

expect() {  # expect NAME CODE COMMAND...
  local name=$1 want=$2; shift 2
  "$@" >/dev/null 2>"$T/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: exit code $got, expected $want"; tail -5 "$T/err"; failures=$((failures + 1))
  else
    echo "ok   $name ($got)"
  fi
}

if g++ -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer "$T/bad.cpp" -o "$T/asan" 2>"$T/cc"; then
  (
    qb_export_asan_options
    expect "asan: clean run" 0 "$T/asan"
    expect "asan: the program's own exit 1" 1 "$T/asan" exit1
    expect "asan: heap overflow" 86 "$T/asan" overflow
    expect "ubsan: signed overflow" 86 "$T/asan" ub
    expect "lsan: leak" 86 "$T/asan" leak
    exit $failures
  ) || failures=$((failures + $?))
else
  echo "FAIL: cannot build with -fsanitize=address,undefined"; cat "$T/cc"; failures=$((failures + 1))
fi

if clang++ -O1 -g -fsanitize=thread "$T/bad.cpp" -o "$T/tsan" 2>"$T/cc"; then
  (
    qb_export_tsan_options
    expect "tsan: clean run" 0 "$T/tsan"
    expect "tsan: race" 86 "$T/tsan" race
    exit $failures
  ) || failures=$((failures + $?))
else
  echo "FAIL: cannot build with clang -fsanitize=thread"; cat "$T/cc"; failures=$((failures + 1))
fi

[ $failures -eq 0 ] && echo "all sanitizer exit codes as expected"
exit $((failures > 0))
