#include "job_tracker.h"

#include <QMetaObject>
#include <QThread>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cerrno>
#include <exception>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace qbui {
namespace {

// Not Qt's global pool: Qt 6.4's raster paint engine splits large fills across the global pool
// and waits for them on the GUI thread, so analyses of seconds or minutes holding every global
// thread froze painting (and with it every queued result) until one of them ended. Twice the
// cores: a page's long job (label summaries, fit curves) must not keep another's short one
// (opening a file, a histogram preview) waiting behind it.
QThreadPool *jobPool() {
    static QThreadPool *pool = [] {
        auto *p = new QThreadPool; // never destroyed: threads idle out; trackers wait for their own work
        p->setMaxThreadCount(std::max(4, 2 * QThread::idealThreadCount()));
        return p;
    }();
    return pool;
}

// Background work runs a little below the GUI thread (3 nice levels, this thread only; the kernel's
// OpenMP workers it starts inherit it): on a machine with few cores, analyses that keep every core
// busy otherwise delay the GUI thread's paints and queued results by a scheduler slice or more each.
// Measured on 2 cores with a 300 MB model: event-loop stalls of 160-180 ms while the label table ran.
void runBelowTheGuiThread() {
    static thread_local bool lowered = false;
    if (lowered) return;
    lowered = true;
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, tid);
    if (errno == 0) ::setpriority(PRIO_PROCESS, tid, std::min(19, nice + 3));
}

} // namespace

void JobContext::post(std::function<void()> fn) const { m_tracker->deliver(m_id, std::move(fn), false); }

JobTracker::JobTracker(Runner runner) : m_runner(runner) {}

JobTracker::~JobTracker() {
    cancel();
    // The workers post to m_receiver: they must be gone before it is. Their flags are set, so
    // cancellable work stops at its next check. Deliveries still queued die with m_receiver.
    for (QFuture<void> &f : m_futures)
        f.waitForFinished();
    for (OwnThread &t : m_threads)
        t.thread.join();
}

JobContext JobTracker::begin() {
    if (m_cancel) m_cancel->store(true); // the job this one supersedes has no reason to go on
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_current = ++m_lastId;
    m_running = true;
    return JobContext(this, m_current, m_cancel);
}

void JobTracker::cancel() {
    if (m_cancel) m_cancel->store(true);
    m_current = 0;
    m_running = false;
}

void JobTracker::requestCancel() {
    if (m_running && m_cancel) m_cancel->store(true);
}

void JobTracker::launch(quint64 id, std::function<void()> body) {
    // Work that throws delivers nothing; the job still ends, so the owner is not left waiting.
    auto guarded = [this, id, body = std::move(body)] {
        runBelowTheGuiThread();
        try {
            body();
        } catch (const std::exception &e) {
            qWarning("background job failed: %s", e.what());
            deliver(
                id, [] {}, true);
        } catch (...) {
            qWarning("background job failed");
            deliver(
                id, [] {}, true);
        }
    };
    if (m_runner == Runner::ThreadPool) {
        m_futures.removeIf([](const QFuture<void> &f) { return f.isFinished(); });
        m_futures.append(QtConcurrent::run(jobPool(), std::move(guarded)));
        return;
    }
    std::erase_if(m_threads, [](OwnThread &t) {
        if (!t.done->load()) return false;
        t.thread.join();
        return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    m_threads.push_back({std::thread([guarded = std::move(guarded), done] {
                             guarded();
                             done->store(true);
                         }),
                         done});
}

void JobTracker::deliver(quint64 id, std::function<void()> fn, bool final) {
    QMetaObject::invokeMethod(
        &m_receiver,
        [this, id, final, fn = std::move(fn)] {
            if (!isCurrent(id) || !m_running) return; // superseded, cancelled, or already delivered
            if (final) m_running = false;             // before fn: it may start the next job
            fn();
        },
        Qt::QueuedConnection);
}

} // namespace qbui
