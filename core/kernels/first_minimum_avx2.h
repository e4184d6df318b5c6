// The end of the AVX2 nearest-candidate searches (IQ2 and IQ3 neighbour lists), internal to
// core/kernels: candidates' distances come eight to a vector, chunk after chunk; the answer is the
// position of the first smallest one, as ggml's scalar scan (strict <) picks it.
//
// Each chunk's padding lanes (positions >= count) become FLT_MAX, which never wins; the chunk is
// stored and folded into a running minimum. At the end the minimum is spread to every lane and the
// stored chunks are scanned once for its first occurrence: cheaper than tracking each lane's best
// position, since most lists fit in one chunk. A NaN distance never becomes the minimum and never
// equals it, as in the scalar scan; all NaN (or all padding) gives -1.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <cfloat>

namespace qb {

// Chunk c of a list of `count` candidates: masks its padding, stores it at d2buf + 8c (32-byte
// aligned) and returns the new running minimum (start from _mm256_set1_ps(FLT_MAX)).
[[gnu::target("avx2"), gnu::always_inline]] inline __m256 keepChunkAvx2(float *d2buf, int c, int count, __m256 d2,
                                                                        __m256 minimum) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 valid = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(count - 8 * c), lanes));
    d2 = _mm256_blendv_ps(_mm256_set1_ps(FLT_MAX), d2, valid);
    _mm256_store_ps(d2buf + 8 * c, d2);
    return _mm256_min_ps(d2, minimum); // a NaN lane leaves the minimum as it was
}

// The position of the first stored distance equal to the minimum, or -1 when none is finite.
[[gnu::target("avx2"), gnu::always_inline]] inline int firstMinimumAvx2(const float *d2buf, int chunks,
                                                                        __m256 minimum) {
    __m256 h = _mm256_min_ps(minimum, _mm256_permute2f128_ps(minimum, minimum, 1));
    h = _mm256_min_ps(h, _mm256_shuffle_ps(h, h, _MM_SHUFFLE(1, 0, 3, 2)));
    h = _mm256_min_ps(h, _mm256_shuffle_ps(h, h, _MM_SHUFFLE(2, 3, 0, 1))); // every lane holds the minimum
    if (!(_mm256_cvtss_f32(h) < FLT_MAX)) return -1;
    for (int c = 0; c < chunks; ++c) {
        const int hits = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_load_ps(d2buf + 8 * c), h, _CMP_EQ_OQ));
        if (hits) return 8 * c + __builtin_ctz(unsigned(hits));
    }
    return -1;
}

} // namespace qb
#endif
