// Kernels for TQ1_0, TQ2_0.
// TODO(kernels): not implemented yet; this family owns these types.
#include "kernels/kernel_ops.h"

namespace qb {

const KernelOps *ternaryKernelOps(GgmlType) { return nullptr; }

} // namespace qb
