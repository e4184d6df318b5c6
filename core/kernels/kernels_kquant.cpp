// Kernels for Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
// TODO(kernels): not implemented yet; this family owns these types.
#include "kernels/kernel_ops.h"

namespace qb {

const KernelOps *kquantKernelOps(GgmlType) { return nullptr; }

} // namespace qb
