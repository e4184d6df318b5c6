// Decodes rows once and quantizes them to several types: the kernel step of the multi-output job.
//
// Contract: every target gets exactly the bytes transcodeRows(from, src, target.type, ...) would
// give (rows are quantized independently; the same kernels run on the same decoded floats), so a
// multi-output run equals its single runs byte for byte. Each worker thread decodes a small chunk
// of rows (at most 64 Ki floats) into its own scratch and encodes that chunk to every target while
// it is still in cache: the input is decoded once however many types it feeds. F32 input is not
// decoded at all. Throws qb::Error for an impossible request, as the kernels do.
#pragma once

#include "ggml_types.h"
#include "rule_set.h"

#include <cstdint>
#include <span>

namespace qb {

struct TranscodeTarget {
    GgmlType type = GgmlType::F32;
    uint8_t *dst = nullptr;            // nrows * rowSizeBytes(type, ncols) bytes
    const float *importance = nullptr; // ncols weights or null
    RuleSet rules = RuleSet::B4748;    // whose quantizer (see kernels.h)
};

void transcodeRowsToMany(GgmlType from, const void *src, std::span<const TranscodeTarget> targets, int64_t nrows,
                         int64_t ncols, int threads);

} // namespace qb
