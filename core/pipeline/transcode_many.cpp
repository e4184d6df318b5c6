#include "pipeline/transcode_many.h"

#include "kernels/kernels.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <vector>

namespace qb {

void transcodeRowsToMany(GgmlType from, const void *src, std::span<const TranscodeTarget> targets, int64_t nrows,
                         int64_t ncols, int threads) {
    if (targets.empty() || nrows <= 0) return;
    const int n = threads > 0 ? threads : omp_get_max_threads();
    // The kernels' own chunking (kernels.cpp rowsPerChunk): about 64 Ki floats per chunk, at
    // least four chunks per thread so that the dynamic schedule balances.
    const int64_t target = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(ncols, 1));
    const int64_t balanced = (nrows + int64_t(n) * 4 - 1) / (int64_t(n) * 4);
    const int64_t chunk = std::max<int64_t>(1, std::min(target, balanced));
    const int64_t chunks = (nrows + chunk - 1) / chunk;
    const int64_t inRowBytes = rowSizeBytes(from, ncols);
    const bool decode = from != GgmlType::F32;
    const auto *in = static_cast<const uint8_t *>(src);

    // An exception must not leave an OpenMP region: the first is kept and rethrown after it.
    std::exception_ptr failure;
#pragma omp parallel num_threads(n) if (n > 1 && chunks > 1)
    {
        std::vector<float> scratch;
        try {
            if (decode) scratch.resize(size_t(chunk * ncols));
        } catch (...) {
#pragma omp critical(qb_transcode_many_failure)
            if (!failure) failure = std::current_exception();
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < chunks; ++c) {
            if (decode && scratch.empty()) continue;
            const int64_t first = c * chunk;
            const int64_t count = std::min(chunk, nrows - first);
            try {
                const float *rows = reinterpret_cast<const float *>(in + first * inRowBytes);
                if (decode) {
                    // One thread here: the parallelism is this region's.
                    dequantizeRows(from, in + first * inRowBytes, scratch.data(), count, ncols, 1);
                    rows = scratch.data();
                }
                for (const TranscodeTarget &t : targets)
                    quantizeRows(t.type, rows, t.dst + first * rowSizeBytes(t.type, ncols), count, ncols, t.importance,
                                 1, t.rules);
            } catch (...) {
#pragma omp critical(qb_transcode_many_failure)
                if (!failure) failure = std::current_exception();
            }
        }
    }
    if (failure) std::rethrow_exception(failure);
}

} // namespace qb
