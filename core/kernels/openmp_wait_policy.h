// Makes idle OpenMP threads sleep instead of spin, for the programs (CLI, GUI) that run the kernels.
//
// Contract: call first thing in main() with main's argv. If the user has not chosen
// OMP_WAIT_POLICY, sets it to "passive" and re-executes the program (same arguments) so the
// OpenMP runtime sees it; returns normally when the policy is already set or the re-exec fails.
//
// Why: by default libgomp's idle workers spin for a while after every parallel loop. Our kernels
// share the cores with the pipeline's reader and writer threads (and the GUI's event loop), and
// the spinning took their CPU: on 2 cores a Q8_0 run spent ~30% of its time spinning and took
// about twice the wall time of a passive run. libgomp reads the variable once, when it is
// loaded, before main() runs, hence the re-exec rather than a setenv().
#pragma once

namespace qb {

void preferPassiveOpenMpWait(char **argv);

} // namespace qb
