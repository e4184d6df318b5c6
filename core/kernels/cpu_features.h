// Run-time x86 feature checks shared by the kernels' dispatch.
//
// Contract: true only when the CPU has the feature and the OS saves the registers it needs.
// Exists because clang 14's __builtin_cpu_supports() does not accept "f16c" (a compile error in
// the clang builds used for fuzzing and ThreadSanitizer); F16C is read from CPUID directly.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

namespace qb {

// AVX with OS support (the builtin checks XGETBV) and CPUID.1:ECX.F16C[bit 29].
inline bool cpuHasF16c() {
    static const bool yes = [] {
        __builtin_cpu_init();
        unsigned a = 0, b = 0, c = 0, d = 0;
        return __builtin_cpu_supports("avx") != 0 && __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_F16C) != 0;
    }();
    return yes;
}

inline bool cpuHasAvx2() {
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }();
    return yes;
}

} // namespace qb
#endif
