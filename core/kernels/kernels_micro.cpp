// Kernels for MXFP4, NVFP4, Q1_0, Q2_0.
// TODO(kernels): not implemented yet; this family owns these types.
#include "kernels/kernel_ops.h"

namespace qb {

const KernelOps *microKernelOps(GgmlType) { return nullptr; }

} // namespace qb
