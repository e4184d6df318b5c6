// Ctrl-C and termination requests during long commands.
//
// A signal arriving while an InterruptGuard is alive sets a flag instead of killing the process,
// so the running job sees it as a cancellation and removes its temporary output on the way out
// (killed outright, the hidden temporary file of GgufWriter would stay behind). The handler is
// one-shot: a second Ctrl-C gets the default action, for a user who really wants out at once.
#pragma once

#include <atomic>

namespace qbcli {

class InterruptGuard {
public:
    InterruptGuard();   // handles SIGINT, SIGTERM and SIGHUP until destroyed
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard &) = delete;
    InterruptGuard &operator=(const InterruptGuard &) = delete;

    // Set from the signal handler; pass it as the job's cancellation token.
    const std::atomic<bool> *flag() const;
    // The signal received (0 for none).
    int signal() const;
};

// The shell's convention for "ended by signal N".
constexpr int exitCodeForSignal(int signal) { return 128 + signal; }

} // namespace qbcli
