// What both importance-matrix fuzz targets (legacy .dat and GGUF) check of their reader: any input
// gives entries of finite, non-negative values or throws qb::Error; nothing else (a crash, another
// exception, or a value the reader promised not to return aborts).
#pragma once

#include "error.h"
#include "imatrix/importance_matrix.h"

#include <cmath>
#include <cstdlib>

// parse: qb::ImportanceMatrix() reading the fuzzer's bytes.
template <typename Parse>
int checkImportanceReader(Parse parse) {
    try {
        const qb::ImportanceMatrix m = parse();
        for (const auto &[name, values] : m.entries())
            for (float v : values)
                if (!(v >= 0.0f) || !std::isfinite(v)) std::abort();  // the reader promised this
    } catch (const qb::Error &) {
    }
    return 0;
}
