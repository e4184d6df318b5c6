// Kernels for IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S, IQ1_M: the KernelOps table of the family.
// The algorithms live in iq2_quantize.cpp, iq1_quantize.cpp and iq2_dequantize.cpp.
#include "kernels/iq2_blocks.h"
#include "kernels/kernel_ops.h"

namespace qb {

const KernelOps *iq2KernelOps(GgmlType type) {
    // All five need importance weights: llama-quantize refuses them without an imatrix.
    static constexpr KernelOps kOps[] = {
        {GgmlType::IQ2_XXS, iq2::quantizeIq2xxs, iq2::quantizeIq2xxsReference, iq2::dequantizeIq2xxs, true},
        {GgmlType::IQ2_XS, iq2::quantizeIq2xs, iq2::quantizeIq2xsReference, iq2::dequantizeIq2xs, true},
        {GgmlType::IQ2_S, iq2::quantizeIq2s, iq2::quantizeIq2sReference, iq2::dequantizeIq2s, true},
        {GgmlType::IQ1_S, iq2::quantizeIq1s, iq2::quantizeIq1sReference, iq2::dequantizeIq1s, true},
        {GgmlType::IQ1_M, iq2::quantizeIq1m, iq2::quantizeIq1mReference, iq2::dequantizeIq1m, true},
    };
    for (const KernelOps &ops : kOps)
        if (ops.type == type) return &ops;
    return nullptr;
}

} // namespace qb
