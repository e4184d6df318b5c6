// AVX2 versions of the legacy block quantizers, chosen at run time, with the scalar reference
// as the portable fallback.
//
// Why these are byte-identical to the reference: a block's scale comes from a maximum or a
// minimum, which does not depend on the order the elements are compared in (the two cases
// where it would, NaN inside Q8_0's running maximum and the sign of a zero minimum or maximum,
// are detected and handed to the reference for that block). Everything after the scale is
// elementwise: one IEEE multiply, one add and one truncating conversion per element, exactly
// the reference's, in 8 lanes at once. Nothing is fused (no FMA is enabled or used).
#include "kernels/legacy/legacy_fast.h"

#include "float_convert.h"
#include "kernels/cpu_features.h"
#include "kernels/legacy/legacy_blocks.h"

#include <cfloat>
#include <cstddef>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#define QB_LEGACY_X86 1
#include <immintrin.h>
#else
#define QB_LEGACY_X86 0
#endif

namespace qb::legacy {
namespace {

#if QB_LEGACY_X86
#define QB_AVX2 __attribute__((target("avx2,f16c")))

bool haveAvx2() {
    static const bool yes = cpuHasAvx2() && cpuHasF16c();
    return yes;
}

// One block as four vectors: v[0] = elements 0..7, v[1] = 8..15, v[2] = 16..23, v[3] = 24..31.
struct Lanes {
    __m256 v[4];
};

QB_AVX2 inline Lanes loadBlock(const float *x) {
    Lanes l;
    for (int k = 0; k < 4; ++k) l.v[k] = _mm256_loadu_ps(x + 8 * k);
    return l;
}

QB_AVX2 inline __m256 absPs(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

QB_AVX2 inline float horizontalMax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

QB_AVX2 inline float horizontalMin(__m256 v) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

QB_AVX2 inline bool anyNan(const Lanes &l) {
    const __m256 a = _mm256_cmp_ps(l.v[0], l.v[1], _CMP_UNORD_Q);
    const __m256 b = _mm256_cmp_ps(l.v[2], l.v[3], _CMP_UNORD_Q);
    return _mm256_movemask_ps(_mm256_or_ps(a, b)) != 0;
}

// Largest magnitude with NaN ignored, like the reference's `if (amax < |v|)`:
// max_ps(a, b) returns b when a is NaN.
QB_AVX2 inline float magnitudeMax(const Lanes &l) {
    __m256 acc = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) acc = _mm256_max_ps(absPs(l.v[k]), acc);
    return horizontalMax(acc);
}

// The first element whose magnitude equals amax (> 0): the one the reference keeps.
QB_AVX2 inline float firstWithMagnitude(const float *x, const Lanes &l, float amax) {
    const __m256 target = _mm256_set1_ps(amax);
    uint32_t mask = 0;
    for (int k = 0; k < 4; ++k)
        mask |= uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(absPs(l.v[k]), target, _CMP_EQ_OQ))) << (8 * k);
    return x[__builtin_ctz(mask)];
}

// Minimum and maximum with NaN ignored (min_ps(a, b) returns b when a is NaN).
QB_AVX2 inline void minMax(const Lanes &l, float &lo, float &hi) {
    __m256 mn = _mm256_set1_ps(FLT_MAX);
    __m256 mx = _mm256_set1_ps(-FLT_MAX);
    for (int k = 0; k < 4; ++k) {
        mn = _mm256_min_ps(l.v[k], mn);
        mx = _mm256_max_ps(l.v[k], mx);
    }
    lo = horizontalMin(mn);
    hi = horizontalMax(mx);
}

// The C cast (int8_t)v on x86-64: truncate to int32 (NaN/overflow -> INT32_MIN), keep the
// low byte as a signed value.
QB_AVX2 inline __m256i castToInt8(__m256 v) {
    const __m256i t = _mm256_cvttps_epi32(v);
    return _mm256_srai_epi32(_mm256_slli_epi32(t, 24), 24);
}

// roundf: round half away from zero, exactly. x - trunc(x) is exact for every float, so the
// comparison with 0.5 decides ties the way roundf does (no x + 0.5 double-rounding trap).
QB_AVX2 inline __m256 roundHalfAway(__m256 x) {
    const __m256 t = _mm256_round_ps(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = absPs(_mm256_sub_ps(x, t));
    const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(_mm256_set1_ps(-0.0f), x));
    const __m256 bump = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), one);
    return _mm256_add_ps(t, bump);
}

// Bytes (lo | hi << 4) for elements 0..15 (lo) paired with 16..31 (hi), low byte kept.
QB_AVX2 inline __m128i packNibbles(const __m256i q[4]) {
    const __m256i byteMask = _mm256_set1_epi32(0xff);
    const __m256i first = _mm256_and_si256(_mm256_or_si256(q[0], _mm256_slli_epi32(q[2], 4)), byteMask);
    const __m256i second = _mm256_and_si256(_mm256_or_si256(q[1], _mm256_slli_epi32(q[3], 4)), byteMask);
    // packus works per 128-bit half: [f0-3 s0-3 | f4-7 s4-7]; reorder the 64-bit quarters.
    const __m256i words = _mm256_permute4x64_epi64(_mm256_packus_epi32(first, second), 0xD8);
    return _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
}

// The low bytes of 32 int32 lanes, in element order.
QB_AVX2 inline __m256i packBytes(const __m256i q[4]) {
    const __m256i byteMask = _mm256_set1_epi32(0xff);
    const __m256i ab = _mm256_packus_epi32(_mm256_and_si256(q[0], byteMask), _mm256_and_si256(q[1], byteMask));
    const __m256i cd = _mm256_packus_epi32(_mm256_and_si256(q[2], byteMask), _mm256_and_si256(q[3], byteMask));
    const __m256i bytes = _mm256_packus_epi16(ab, cd);
    return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Bit 4 of each of the 32 quants, element j at bit j.
QB_AVX2 inline uint32_t fifthBits(const __m256i q[4]) {
    uint32_t bits = 0;
    for (int k = 0; k < 4; ++k)
        bits |= uint32_t(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32(q[k], 27)))) << (8 * k);
    return bits;
}

QB_AVX2 inline void lowNibbles(__m256i q[4]) {
    for (int k = 0; k < 4; ++k) q[k] = _mm256_and_si256(q[k], _mm256_set1_epi32(0x0f));
}

inline uint8_t *blockAt(void *dst, int64_t index, size_t size) { return static_cast<uint8_t *>(dst) + index * int64_t(size); }

// The hardware conversion (round to nearest even) equals fp32ToFp16 for every non-NaN float
// (checked over all 2^32 bit patterns); for NaN it keeps the payload where ggml does not.
QB_AVX2 inline void storeScale(uint8_t *out, float value) {
    const uint16_t h = value != value
                           ? fp32ToFp16(value)
                           : uint16_t(_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(value), _MM_FROUND_TO_NEAREST_INT), 0));
    std::memcpy(out, &h, sizeof h);
}

QB_AVX2 void quantizeQ4_0Avx2(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        const Lanes l = loadBlock(x);
        const float amax = magnitudeMax(l);
        const float extreme = amax > 0.0f ? firstWithMagnitude(x, l, amax) : 0.0f;
        const float d = extreme / -8;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const __m256 vid = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; ++k) {
            const __m256 scaled = _mm256_add_ps(_mm256_mul_ps(l.v[k], vid), _mm256_set1_ps(8.5f));
            q[k] = _mm256_min_epi32(castToInt8(scaled), _mm256_set1_epi32(15));
        }
        uint8_t *out = blockAt(dst, b, sizeof(BlockQ4_0));
        storeScale(out, d);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + offsetof(BlockQ4_0, qs)), packNibbles(q));
    }
}

QB_AVX2 void quantizeQ4_1Avx2(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        uint8_t *out = blockAt(dst, b, sizeof(BlockQ4_1));
        const Lanes l = loadBlock(x);
        float lo, hi;
        minMax(l, lo, hi);
        if (lo == 0.0f || hi == 0.0f) {  // which zero wins depends on order: do it the reference way
            quantizeQ4_1Reference(x, out, 1);
            continue;
        }
        const float d = (hi - lo) / 15;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const __m256 vid = _mm256_set1_ps(id);
        const __m256 vlo = _mm256_set1_ps(lo);
        __m256i q[4];
        for (int k = 0; k < 4; ++k) {
            const __m256 scaled = _mm256_mul_ps(_mm256_sub_ps(l.v[k], vlo), vid);
            q[k] = _mm256_min_epi32(castToInt8(_mm256_add_ps(scaled, _mm256_set1_ps(0.5f))), _mm256_set1_epi32(15));
        }
        storeScale(out, d);
        storeScale(out + offsetof(BlockQ4_1, m), lo);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + offsetof(BlockQ4_1, qs)), packNibbles(q));
    }
}

QB_AVX2 void quantizeQ5_0Avx2(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        const Lanes l = loadBlock(x);
        const float amax = magnitudeMax(l);
        const float extreme = amax > 0.0f ? firstWithMagnitude(x, l, amax) : 0.0f;
        const float d = extreme / -16;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const __m256 vid = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; ++k) {
            const __m256 scaled = _mm256_add_ps(_mm256_mul_ps(l.v[k], vid), _mm256_set1_ps(16.5f));
            q[k] = _mm256_min_epi32(castToInt8(scaled), _mm256_set1_epi32(31));
        }
        const uint32_t qh = fifthBits(q);
        lowNibbles(q);
        uint8_t *out = blockAt(dst, b, sizeof(BlockQ5_0));
        storeScale(out, d);
        std::memcpy(out + offsetof(BlockQ5_0, qh), &qh, sizeof qh);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + offsetof(BlockQ5_0, qs)), packNibbles(q));
    }
}

QB_AVX2 void quantizeQ5_1Avx2(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        uint8_t *out = blockAt(dst, b, sizeof(BlockQ5_1));
        const Lanes l = loadBlock(x);
        float lo, hi;
        minMax(l, lo, hi);
        if (lo == 0.0f || hi == 0.0f) {
            quantizeQ5_1Reference(x, out, 1);
            continue;
        }
        const float d = (hi - lo) / 31;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const __m256 vid = _mm256_set1_ps(id);
        const __m256 vlo = _mm256_set1_ps(lo);
        __m256i q[4];
        for (int k = 0; k < 4; ++k) {
            const __m256 scaled = _mm256_mul_ps(_mm256_sub_ps(l.v[k], vlo), vid);
            q[k] = _mm256_cvttps_epi32(_mm256_add_ps(scaled, _mm256_set1_ps(0.5f)));  // (uint8_t) cast: low byte
        }
        const uint32_t qh = fifthBits(q);
        lowNibbles(q);
        storeScale(out, d);
        storeScale(out + offsetof(BlockQ5_1, m), lo);
        std::memcpy(out + offsetof(BlockQ5_1, qh), &qh, sizeof qh);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + offsetof(BlockQ5_1, qs)), packNibbles(q));
    }
}

QB_AVX2 void quantizeQ8_0Avx2(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        uint8_t *out = blockAt(dst, b, sizeof(BlockQ8_0));
        const Lanes l = loadBlock(x);
        if (anyNan(l)) {  // the reference's running MAX restarts after a NaN: order matters
            quantizeQ8_0Reference(x, out, 1);
            continue;
        }
        const float amax = magnitudeMax(l);
        const float d = amax / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const __m256 vid = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; ++k) q[k] = _mm256_cvttps_epi32(roundHalfAway(_mm256_mul_ps(l.v[k], vid)));
        storeScale(out, d);
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + offsetof(BlockQ8_0, qs)), packBytes(q));
    }
}

#undef QB_AVX2
#endif // QB_LEGACY_X86

using BlockFn = void (*)(const float *, void *, int64_t);

inline void dispatch([[maybe_unused]] BlockFn vectorised, BlockFn reference, const float *src, void *dst,
                     int64_t blocks) {
#if QB_LEGACY_X86
    if (haveAvx2()) return vectorised(src, dst, blocks);
    return reference(src, dst, blocks);
#else
    reference(src, dst, blocks);
#endif
}

} // namespace

#if QB_LEGACY_X86
#define QB_VECTOR(fn) fn
#else
#define QB_VECTOR(fn) nullptr
#endif

void quantizeQ4_0Fast(const float *src, void *dst, int64_t blocks) {
    dispatch(QB_VECTOR(quantizeQ4_0Avx2), quantizeQ4_0Reference, src, dst, blocks);
}
void quantizeQ4_1Fast(const float *src, void *dst, int64_t blocks) {
    dispatch(QB_VECTOR(quantizeQ4_1Avx2), quantizeQ4_1Reference, src, dst, blocks);
}
void quantizeQ5_0Fast(const float *src, void *dst, int64_t blocks) {
    dispatch(QB_VECTOR(quantizeQ5_0Avx2), quantizeQ5_0Reference, src, dst, blocks);
}
void quantizeQ5_1Fast(const float *src, void *dst, int64_t blocks) {
    dispatch(QB_VECTOR(quantizeQ5_1Avx2), quantizeQ5_1Reference, src, dst, blocks);
}
void quantizeQ8_0Fast(const float *src, void *dst, int64_t blocks) {
    dispatch(QB_VECTOR(quantizeQ8_0Avx2), quantizeQ8_0Reference, src, dst, blocks);
}

bool legacyFastPathVectorised() {
#if QB_LEGACY_X86
    return haveAvx2();
#else
    return false;
#endif
}

} // namespace qb::legacy
