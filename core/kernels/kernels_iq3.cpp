// Kernels for IQ3_XXS, IQ3_S, IQ4_NL, IQ4_XS: the family's registration. The algorithms live in
// iq3_quantize.cpp (IQ3 grids), iq4_quantize.cpp (non-linear 4-bit levels) and iq3_dequantize.cpp.
// None of these types needs an importance matrix in llama.cpp; with none, weights default to x^2.
#include "kernels/iq3_blocks.h"
#include "kernels/kernel_ops.h"

namespace qb {

const KernelOps *iq3KernelOps(GgmlType type) {
    static constexpr KernelOps kOps[] = {
        {GgmlType::IQ3_XXS, iq3::quantizeIq3Xxs, iq3::quantizeIq3XxsReference, iq3::dequantizeIq3Xxs, false},
        {GgmlType::IQ3_S, iq3::quantizeIq3S, iq3::quantizeIq3SReference, iq3::dequantizeIq3S, false},
        {GgmlType::IQ4_NL, iq3::quantizeIq4Nl, iq3::quantizeIq4NlReference, iq3::dequantizeIq4Nl, false},
        {GgmlType::IQ4_XS, iq3::quantizeIq4Xs, iq3::quantizeIq4XsReference, iq3::dequantizeIq4Xs, false},
    };
    for (const KernelOps &ops : kOps)
        if (ops.type == type) return &ops;
    return nullptr;
}

} // namespace qb
