// A label's (or file's) model-level quality as `evaluate` measures it through llama.cpp.
#pragma once

#include <cmath>
#include <cstdint>

namespace qbui {

struct MeasuredQuality {
    double meanKld = NAN; // nats
    double p99Kld = NAN;
    double ppl = NAN;
    double deltaPpl = NAN; // PPL(candidate) - PPL(base)
    double sameTop = NAN;  // fraction
    double bitsPerWeight = NAN;
    double gigabytes = NAN; // tensor data
    uint64_t fileBytes = 0; // the candidate file's size
    bool valid() const { return std::isfinite(meanKld); }
};

} // namespace qbui
