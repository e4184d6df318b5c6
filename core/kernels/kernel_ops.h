// What a family of quantization kernels provides for each of its types.
//
// Contract for implementers: one KernelOps per type, returned by the family's lookup
// function (nullptr for types it does not own). Rows are independent: quantizing rows
// [a, b) alone must give the same bytes as quantizing them inside a larger call, so the
// threaded entry point in kernels.h may split a tensor anywhere between rows.
#pragma once

#include "ggml_types.h"
#include "rule_set.h"

#include <cstddef>
#include <cstdint>

namespace qb {

// Quantizes nrows rows of ncols floats; importance is ncols non-negative weights or null.
// Returns bytes written (nrows * rowSizeBytes(type, ncols)).
using QuantizeRowsFn = size_t (*)(const float *src, void *dst, int64_t nrows, int64_t ncols,
                                  const float *importance);
// Decodes n elements (a multiple of the block size).
using DequantizeFn = void (*)(const void *src, float *dst, int64_t n);
// The same signatures as function types, so a family's header declares its entry points by name
// only (QuantizeRows quantizeIq1s, ...;) and the compiler holds them to the table's types.
using QuantizeRows = size_t(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
using Dequantize = void(const void *src, float *dst, int64_t n);

struct KernelOps {
    GgmlType type;
    QuantizeRowsFn quantize;           // the fast path; null if ggml cannot produce the type
    QuantizeRowsFn quantizeReference;  // plain scalar form of the same algorithm; null if quantize is that
    DequantizeFn dequantize;           // null if ggml cannot decode the type
    bool needsImportance;              // llama.cpp refuses to produce the type without importance data
    // Rule set 2026-09's quantizer where llama.cpp 0ad4a86 changed the algorithm (its bytes differ
    // from b4748's); null where both releases write the same bytes, so `quantize` serves both.
    QuantizeRowsFn quantize2026 = nullptr;
};

// The quantizer a rule set's llama.cpp runs for this type (the fast path).
inline QuantizeRowsFn quantizerFor(const KernelOps &ops, RuleSet rules) {
    return rules == RuleSet::R2026_09 && ops.quantize2026 ? ops.quantize2026 : ops.quantize;
}

// A family's lookup over its table: the entry for `type`, or nullptr when the family does not own it.
template <size_t N>
constexpr const KernelOps *findKernelOps(const KernelOps (&table)[N], GgmlType type) {
    for (const KernelOps &ops : table)
        if (ops.type == type) return &ops;
    return nullptr;
}

// One lookup per family; each lives in its folder as <family>/<family>_kernels.cpp.
const KernelOps *floatKernelOps(GgmlType type);    // F32, F16, BF16
const KernelOps *legacyKernelOps(GgmlType type);   // Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
const KernelOps *kquantKernelOps(GgmlType type);   // Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K
const KernelOps *iq1KernelOps(GgmlType type);      // IQ1_S, IQ1_M
const KernelOps *iq2KernelOps(GgmlType type);      // IQ2_XXS, IQ2_XS, IQ2_S
const KernelOps *iq3KernelOps(GgmlType type);      // IQ3_XXS, IQ3_S
const KernelOps *iq4KernelOps(GgmlType type);      // IQ4_NL, IQ4_XS
const KernelOps *ternaryKernelOps(GgmlType type);  // TQ1_0, TQ2_0
const KernelOps *microKernelOps(GgmlType type);    // MXFP4, NVFP4, Q1_0, Q2_0

} // namespace qb
