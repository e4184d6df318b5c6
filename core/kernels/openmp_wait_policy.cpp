#include "kernels/openmp_wait_policy.h"

#include <cstdlib>
#include <unistd.h>

namespace qb {

void preferPassiveOpenMpWait(char **argv) {
    if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;  // the user's choice, or already re-executed
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
    execv("/proc/self/exe", argv);
    // Only reached if the re-exec failed (e.g. no /proc): carry on with the default policy.
}

} // namespace qb
