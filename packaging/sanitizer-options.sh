# Sanitizer runtime options of run-tests.sh's asan and tsan phases. Sourced by run-tests.sh and
# by tests/sanitizers/test_exit_codes.sh, which checks that a report really ends with this code.
#
# Why exitcode=86: by default ASan, UBSan and LSan exit with 1, which is also what quantbench-cli
# returns on purpose for a runtime failure such as a full disk (tests/cli/test_quantize.sh
# expects 1 there), so a sanitizer report in that run would count as a pass. 86 is a code none
# of our programs uses (0 ok, 1 runtime failure, 2 bad input); TSan's default (66) is replaced too
# so that every phase reports the same way.
qb_sanitizer_exitcode=86

qb_export_asan_options() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  # Leak checking stays on; Qt keeps a few process-lifetime allocations that LSan sees as leaks,
  # listed (library internals only) in tests/sanitizers/lsan.supp.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0:exitcode=$qb_sanitizer_exitcode
  export LSAN_OPTIONS=suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0:exitcode=$qb_sanitizer_exitcode
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=$qb_sanitizer_exitcode
}

qb_export_tsan_options() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  # tests/sanitizers/tsan.supp lists the reports about Qt's own hand-off objects (Debian's Qt
  # is not instrumented) and libomp's thread pool, with the reasons; none of our code is listed.
  export TSAN_OPTIONS=ignore_noninstrumented_modules=1:halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/sanitizers/tsan.supp:exitcode=$qb_sanitizer_exitcode
}
