// libFuzzer target: the importance-matrix reader for the GGUF format (general.type "imatrix",
// per tensor <name>.in_sum2 and <name>.counts) on arbitrary bytes. Any input must give entries
// of finite, non-negative values or throw qb::Error; nothing else.
#include "error.h"
#include "imatrix/importance_matrix.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try {
        const auto m = qb::ImportanceMatrix::parseGguf({data, size}, "fuzz");
        for (const auto &[name, values] : m.entries())
            for (float v : values)
                if (!(v >= 0.0f) || !std::isfinite(v)) std::abort(); // the reader promised this
    } catch (const qb::Error &) {
    }
    return 0;
}
