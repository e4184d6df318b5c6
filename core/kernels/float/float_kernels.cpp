// F32, F16 and BF16 as "kernels": conversion is their quantization.
//
// Whole tensors go through here (F16/BF16 model input to F32, F16/BF16 output), so the row loops
// have x86 fast paths chosen at run time: F16C for fp16 and AVX2 integer rounding for bf16. Both
// give exactly the bits of the scalar conversions in float_convert.h (round to nearest even);
// the only difference, fp32 -> fp16 of NaN, is patched lane by lane to ggml's 0x7e00.
// tst_float_convert checks all 2^16 halves and a large sample of floats against the scalar code.
#include "float_convert.h"
#include "kernels/cpu_features.h"
#include "kernels/kernel_ops.h"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QB_FLOAT_X86 1
#endif

namespace qb {
namespace {

// ---- scalar paths (the reference; also the tails of the vector loops) ------------------------

void fp32ToFp16Scalar(const float *src, uint16_t *dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] = fp32ToFp16(src[i]);
}

void fp16ToFp32Scalar(const uint16_t *src, float *dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] = fp16ToFp32(src[i]);
}

void fp32ToBf16Scalar(const float *src, uint16_t *dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] = fp32ToBf16(src[i]);
}

void bf16ToFp32Scalar(const uint16_t *src, float *dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16ToFp32(src[i]);
}

#ifdef QB_FLOAT_X86

// ---- x86 fast paths, compiled for their instruction sets and called only when present --------

__attribute__((target("avx,f16c"))) void fp32ToFp16F16c(const float *src, uint16_t *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(src + i);
        const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + i), h);
        // vcvtps2ph keeps NaN payload bits; ggml always writes 0x7e00 | sign. NaNs are rare, so
        // fix them afterwards instead of blending on every iteration.
        if (const int nanLanes = _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)))
            for (int k = 0; k < 8; ++k)
                if (nanLanes & (1 << k)) dst[i + k] = fp32ToFp16(src[i + k]);
    }
    fp32ToFp16Scalar(src + i, dst + i, n - i);
}

__attribute__((target("avx,f16c"))) void fp16ToFp32F16c(const uint16_t *src, float *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
    // gcc turns the call below into a tail jump and then omits the vzeroupper it emits at every
    // other exit. Upper YMM halves left dirty make every later SSE (non-VEX) instruction of the
    // thread carry a false dependency: the IQ kernels that quantize these rows ran 5x slower in
    // whole-model runs than in benchmarks (issue #20). tst_kernels_upper_state guards this.
    _mm256_zeroupper();
    fp16ToFp32Scalar(src + i, dst + i, n - i);
}

// The scalar bf16 rounding, eight lanes at a time: add 0x7fff plus the lowest kept bit, shift;
// NaN lanes instead keep their top half with the quiet bit set.
__attribute__((target("avx2"))) void fp32ToBf16Avx2(const float *src, uint16_t *dst, int64_t n) {
    const __m256i absMask = _mm256_set1_epi32(0x7fffffff);
    const __m256i infBits = _mm256_set1_epi32(0x7f800000);
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i roundBias = _mm256_set1_epi32(0x7fff);
    const __m256i quietBit = _mm256_set1_epi32(64);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(src + i));
        const __m256i high = _mm256_srli_epi32(x, 16);
        const __m256i isNan = _mm256_cmpgt_epi32(_mm256_and_si256(x, absMask), infBits);
        const __m256i bias = _mm256_add_epi32(roundBias, _mm256_and_si256(high, one));
        const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(x, bias), 16);
        const __m256i r = _mm256_blendv_epi8(rounded, _mm256_or_si256(high, quietBit), isNan);
        // Every lane is in 0..0xffff, so unsigned saturation packs without changing values;
        // packus works per 128-bit half, so gather quadwords 0 and 2 afterwards.
        const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + i), _mm256_castsi256_si128(packed));
    }
    fp32ToBf16Scalar(src + i, dst + i, n - i);
}

__attribute__((target("avx2"))) void bf16ToFp32Avx2(const uint16_t *src, float *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
        const __m256i w = _mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16);
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + i), w);
    }
    bf16ToFp32Scalar(src + i, dst + i, n - i);
}

bool hasF16c() { return cpuHasF16c(); }

bool hasAvx2() { return cpuHasAvx2(); }

#endif // QB_FLOAT_X86

void convertToFp16(const float *src, uint16_t *dst, int64_t n) {
#ifdef QB_FLOAT_X86
    if (hasF16c()) return fp32ToFp16F16c(src, dst, n);
#endif
    fp32ToFp16Scalar(src, dst, n);
}

void convertFromFp16(const uint16_t *src, float *dst, int64_t n) {
#ifdef QB_FLOAT_X86
    if (hasF16c()) return fp16ToFp32F16c(src, dst, n);
#endif
    fp16ToFp32Scalar(src, dst, n);
}

void convertToBf16(const float *src, uint16_t *dst, int64_t n) {
#ifdef QB_FLOAT_X86
    if (hasAvx2()) return fp32ToBf16Avx2(src, dst, n);
#endif
    fp32ToBf16Scalar(src, dst, n);
}

void convertFromBf16(const uint16_t *src, float *dst, int64_t n) {
#ifdef QB_FLOAT_X86
    if (hasAvx2()) return bf16ToFp32Avx2(src, dst, n);
#endif
    bf16ToFp32Scalar(src, dst, n);
}

// ---- KernelOps entry points ---------------------------------------------------------------------

size_t quantizeF32(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    std::memcpy(dst, src, size_t(nrows * ncols) * sizeof(float));
    return size_t(nrows * ncols) * sizeof(float);
}

void dequantizeF32(const void *src, float *dst, int64_t n) { std::memcpy(dst, src, size_t(n) * sizeof(float)); }

size_t quantizeF16(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    convertToFp16(src, static_cast<uint16_t *>(dst), nrows * ncols);
    return size_t(nrows * ncols) * 2;
}

size_t quantizeF16Reference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    fp32ToFp16Scalar(src, static_cast<uint16_t *>(dst), nrows * ncols);
    return size_t(nrows * ncols) * 2;
}

void dequantizeF16(const void *src, float *dst, int64_t n) { convertFromFp16(static_cast<const uint16_t *>(src), dst, n); }

size_t quantizeBF16(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    convertToBf16(src, static_cast<uint16_t *>(dst), nrows * ncols);
    return size_t(nrows * ncols) * 2;
}

size_t quantizeBF16Reference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    fp32ToBf16Scalar(src, static_cast<uint16_t *>(dst), nrows * ncols);
    return size_t(nrows * ncols) * 2;
}

void dequantizeBF16(const void *src, float *dst, int64_t n) { convertFromBf16(static_cast<const uint16_t *>(src), dst, n); }

constexpr KernelOps kF32{GgmlType::F32, quantizeF32, nullptr, dequantizeF32, false};
constexpr KernelOps kF16{GgmlType::F16, quantizeF16, quantizeF16Reference, dequantizeF16, false};
constexpr KernelOps kBF16{GgmlType::BF16, quantizeBF16, quantizeBF16Reference, dequantizeBF16, false};

} // namespace

const KernelOps *floatKernelOps(GgmlType type) {
    switch (type) {
    case GgmlType::F32: return &kF32;
    case GgmlType::F16: return &kF16;
    case GgmlType::BF16: return &kBF16;
    default: return nullptr;
    }
}

} // namespace qb
