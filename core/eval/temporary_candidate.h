// A label or preset quantized on the fly into a temporary file for evaluation, removed when the
// object goes away (after its evaluation, or on cancellation and failure), so disk use stays
// bounded by one candidate.
#pragma once

#include "mix/preset.h"

#include <atomic>
#include <filesystem>
#include <memory>

namespace qb {
class GgufModel;
}

namespace qb::eval {

class TemporaryCandidate {
public:
    // Quantizes model with preset (its imatrixFile, if any, is loaded) into `directory`.
    // Throws qb::Error (BadInput for a preset that does not fit the model, Cancelled, Runtime).
    TemporaryCandidate(const GgufModel &model, const MixPreset &preset, const std::filesystem::path &directory,
                       int threads, const std::atomic<bool> *cancel);
    ~TemporaryCandidate();
    TemporaryCandidate(const TemporaryCandidate &) = delete;
    TemporaryCandidate &operator=(const TemporaryCandidate &) = delete;

    const std::filesystem::path &path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

} // namespace qb::eval
