// The KernelOps table of the IQ2 family: IQ2_XXS, IQ2_XS, IQ2_S. The algorithms live in
// iq2_quantize.cpp and iq2_dequantize.cpp.
#include "kernels/iq2/iq2_blocks.h"
#include "kernels/kernel_ops.h"

namespace qb {

// All three need importance weights: llama-quantize refuses them without an imatrix.
constexpr KernelOps kOps[] = {
    {GgmlType::IQ2_XXS, iq2::quantizeIq2xxs, iq2::quantizeIq2xxsReference, iq2::dequantizeIq2xxs, true},
    {GgmlType::IQ2_XS, iq2::quantizeIq2xs, iq2::quantizeIq2xsReference, iq2::dequantizeIq2xs, true},
    {GgmlType::IQ2_S, iq2::quantizeIq2s, iq2::quantizeIq2sReference, iq2::dequantizeIq2s, true},
};

const KernelOps *iq2KernelOps(GgmlType type) { return findKernelOps(kOps, type); }

} // namespace qb
