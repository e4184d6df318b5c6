// The KernelOps table of the IQ1 family: IQ1_S, IQ1_M. The algorithms live in iq1s_quantize.cpp,
// iq1m_quantize.cpp (over the shared group search of iq1_quantize.h) and iq1_dequantize.cpp.
#include "kernels/iq1/iq1_blocks.h"
#include "kernels/kernel_ops.h"

namespace qb {

// Both need importance weights: llama-quantize refuses them without an imatrix. IQ1_M is the one
// type whose quantizer llama.cpp changed between the two rule sets.
constexpr KernelOps kOps[] = {
    {GgmlType::IQ1_S, iq1::quantizeIq1s, iq1::quantizeIq1sReference, iq1::dequantizeIq1s, true, nullptr},
    {GgmlType::IQ1_M, iq1::quantizeIq1m, iq1::quantizeIq1mReference, iq1::dequantizeIq1m, true,
     iq1::quantizeIq1m2026},
};

const KernelOps *iq1KernelOps(GgmlType type) { return findKernelOps(kOps, type); }

} // namespace qb
