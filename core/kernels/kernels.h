// The one entry point for turning F32 rows into any ggml type and back.
//
// Contract: the pipeline, the analysis engine and the GUI all call these. Output bytes are
// identical to llama.cpp's ggml-quants.c for the same input and importance vector, of the
// llama.cpp release the rule set names (they differ for IQ1_M only), and never depend on the
// thread count. Throws qb::Error for an impossible request (type not
// producible, row length not a whole number of blocks, importance data required but absent).
#pragma once

#include "ggml_types.h"
#include "rule_set.h"

#include <cstddef>
#include <cstdint>

namespace qb {

bool canQuantize(GgmlType type);
bool canDequantize(GgmlType type);
// True where llama.cpp refuses to produce the type without an importance matrix.
bool needsImportance(GgmlType type);
// True when both rule sets' llama.cpp quantize the type with the same algorithm (same bytes).
bool sameQuantizer(GgmlType type, RuleSet a, RuleSet b);

// Quantizes nrows x ncols floats into dst (nrows * rowSizeBytes(type, ncols) bytes).
// importance: ncols weights or null. threads <= 0 means all cores. Returns bytes written.
size_t quantizeRows(GgmlType type, const float *src, void *dst, int64_t nrows, int64_t ncols,
                    const float *importance, int threads, RuleSet rules = kDefaultRuleSet);

// Quantizes rows stored as `from` (F32, F16, BF16 or any decodable type) straight into `to`:
// each worker decodes a small chunk of rows into its own scratch and quantizes it, so no F32 copy
// of the whole tensor is ever made (the pipeline's memory and page-fault cost) and the decoded rows
// are still in cache when quantized. Bytes are exactly those of dequantizeRows + quantizeRows.
size_t transcodeRows(GgmlType from, const void *src, GgmlType to, void *dst, int64_t nrows, int64_t ncols,
                     const float *importance, int threads, RuleSet rules = kDefaultRuleSet);
// The plain scalar algorithm, single-threaded: the reference the fast path is tested against.
// (Rule set 2026-09's IQ1_M has one form only: its reference is its fast path.)
size_t quantizeRowsReference(GgmlType type, const float *src, void *dst, int64_t nrows, int64_t ncols,
                             const float *importance, RuleSet rules = kDefaultRuleSet);

// Decodes nrows x ncols elements of `type` into floats.
void dequantizeRows(GgmlType type, const void *src, float *dst, int64_t nrows, int64_t ncols, int threads);

} // namespace qb
