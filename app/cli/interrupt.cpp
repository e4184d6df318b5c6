// InterruptGuard: signal handlers that only store to lock-free atomics (async-signal-safe).
#include "interrupt.h"

#include <csignal>

namespace qbcli {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[std::size(kSignals)];

extern "C" void onInterrupt(int sig) {
    g_signal.store(sig, std::memory_order_relaxed);
    g_interrupted.store(true, std::memory_order_relaxed);
}

} // namespace

InterruptGuard::InterruptGuard() {
    g_interrupted = false;
    g_signal = 0;
    struct sigaction sa = {};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;  // a second signal takes the default action
    for (size_t i = 0; i < std::size(kSignals); ++i) {
        sigaction(kSignals[i], nullptr, &g_previous[i]);
        // An ignored signal stays ignored (nohup, or a shell's background job and SIGINT).
        if (g_previous[i].sa_handler != SIG_IGN) sigaction(kSignals[i], &sa, nullptr);
    }
}

InterruptGuard::~InterruptGuard() {
    for (size_t i = 0; i < std::size(kSignals); ++i)
        sigaction(kSignals[i], &g_previous[i], nullptr);
}

const std::atomic<bool> *InterruptGuard::flag() const { return &g_interrupted; }

int InterruptGuard::signal() const { return g_signal.load(std::memory_order_relaxed); }

} // namespace qbcli
