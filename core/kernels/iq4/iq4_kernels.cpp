// The KernelOps table of the IQ4 family: IQ4_NL, IQ4_XS (non-linear 4-bit levels). The algorithms
// live in iq4_quantize.cpp and iq4_dequantize.cpp. Neither type needs an importance matrix in
// llama.cpp; with none, weights default to x^2.
#include "kernels/iq4/iq4_blocks.h"
#include "kernels/kernel_ops.h"

namespace qb {

constexpr KernelOps kOps[] = {
    {GgmlType::IQ4_NL, iq4::quantizeIq4Nl, iq4::quantizeIq4NlReference, iq4::dequantizeIq4Nl, false},
    {GgmlType::IQ4_XS, iq4::quantizeIq4Xs, iq4::quantizeIq4XsReference, iq4::dequantizeIq4Xs, false},
};

const KernelOps *iq4KernelOps(GgmlType type) { return findKernelOps(kOps, type); }

} // namespace qb
