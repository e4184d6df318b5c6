// The KernelOps table of the IQ3 family: IQ3_XXS, IQ3_S. The algorithms live in iq3_quantize.cpp
// and iq3_dequantize.cpp. Neither type needs an importance matrix in llama.cpp; with none,
// weights default to x^2.
#include "kernels/iq3/iq3_blocks.h"
#include "kernels/kernel_ops.h"

namespace qb {

constexpr KernelOps kOps[] = {
    {GgmlType::IQ3_XXS, iq3::quantizeIq3Xxs, iq3::quantizeIq3XxsReference, iq3::dequantizeIq3Xxs, false},
    {GgmlType::IQ3_S, iq3::quantizeIq3S, iq3::quantizeIq3SReference, iq3::dequantizeIq3S, false},
};

const KernelOps *iq3KernelOps(GgmlType type) { return findKernelOps(kOps, type); }

} // namespace qb
