// Kernels for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0.
// TODO(kernels): not implemented yet; this family owns these types.
#include "kernels/kernel_ops.h"

namespace qb {

const KernelOps *legacyKernelOps(GgmlType) { return nullptr; }

} // namespace qb
