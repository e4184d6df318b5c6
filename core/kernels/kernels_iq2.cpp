// Kernels for IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S, IQ1_M.
// TODO(kernels): not implemented yet; this family owns these types.
#include "kernels/kernel_ops.h"

namespace qb {

const KernelOps *iq2KernelOps(GgmlType) { return nullptr; }

} // namespace qb
