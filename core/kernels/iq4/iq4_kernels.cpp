// The KernelOps table of the IQ4 family: IQ4_NL, IQ4_XS (non-linear 4-bit levels). The algorithms
// live in iq4_quantize.cpp and iq4_dequantize.cpp. Neither type needs an importance matrix in
// llama.cpp; with none, weights default to x^2.
#include "kernels/iq4/iq4_blocks.h"
#include "kernels/kernel_ops.h"

namespace qb {

const KernelOps *iq4KernelOps(GgmlType type) {
    static constexpr KernelOps kOps[] = {
        {GgmlType::IQ4_NL, iq4::quantizeIq4Nl, iq4::quantizeIq4NlReference, iq4::dequantizeIq4Nl, false},
        {GgmlType::IQ4_XS, iq4::quantizeIq4Xs, iq4::quantizeIq4XsReference, iq4::dequantizeIq4Xs, false},
    };
    for (const KernelOps &ops : kOps)
        if (ops.type == type) return &ops;
    return nullptr;
}

} // namespace qb
