// Kernels for IQ3_XXS, IQ3_S, IQ4_NL, IQ4_XS.
// TODO(kernels): not implemented yet; this family owns these types.
#include "kernels/kernel_ops.h"

namespace qb {

const KernelOps *iq3KernelOps(GgmlType) { return nullptr; }

} // namespace qb
