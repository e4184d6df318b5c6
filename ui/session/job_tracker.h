// One kind of background work of one owner (a page, a job, the session): the one mechanism every
// page and job uses to run work off the GUI thread.
//
// Contract: start(work, apply) runs work on a worker thread and apply(result) on the thread that
// made the tracker, by queued call, only if the job is still the current one: starting another
// job supersedes it (its cancel flag is set, its result and posts are dropped), and so does
// cancel(). requestCancel() only sets the flag: the job still delivers (an outcome "cancelled").
// The work sees its flag and may post intermediate results (progress) through its JobContext,
// delivered the same way, before its result. The destructor cancels and waits for every worker it
// started, so nothing is ever delivered to a dead owner; declare the tracker after the members
// its callbacks use, so it is destroyed before them.
//
// Why not QFuture::then(context, ...): with Qt 6.4 a continuation attached to a context that was
// created after an earlier context was destroyed was observed never to run.
#pragma once

#include <QFuture>
#include <QList>
#include <QObject>
#include <QtGlobal>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace qbui {

class JobTracker;

// What the work sees of its job. Copied into the worker; valid while the tracker lives (which
// waits for its workers).
class JobContext {
  public:
    quint64 id() const { return m_id; }
    bool cancelled() const { return m_cancel->load(); }
    // For core functions that poll a flag (qb::runQuantization, ModelAnalyzer::summarize, ...).
    const std::atomic<bool> *cancelFlag() const { return m_cancel.get(); }
    // Runs fn on the tracker's thread, unless by then the job is no longer current or has delivered.
    void post(std::function<void()> fn) const;

  private:
    friend class JobTracker;
    JobContext(JobTracker *tracker, quint64 id, std::shared_ptr<std::atomic<bool>> cancel)
        : m_tracker(tracker), m_id(id), m_cancel(std::move(cancel)) {}

    JobTracker *m_tracker;
    quint64 m_id;
    std::shared_ptr<std::atomic<bool>> m_cancel;
};

class JobTracker {
  public:
    // ThreadPool: a pool of the trackers' own, one thread per core (analyses; not Qt's global pool,
    // which the GUI's painting needs free). OwnThread: a thread of the job's own, for work of
    // minutes (a quantization) that must not hold a pool thread the analyses need.
    enum class Runner { ThreadPool, OwnThread };

    explicit JobTracker(Runner runner = Runner::ThreadPool);
    ~JobTracker();
    JobTracker(const JobTracker &) = delete;
    JobTracker &operator=(const JobTracker &) = delete;

    // work: Result(const JobContext &) or Result(); apply: void(Result) (void() for void work).
    // Returns the new job's id. The work must not touch the owner: it hands values back.
    template <typename Work, typename Apply> quint64 start(Work work, Apply apply);

    // The current job is superseded by nothing: its flag is set, nothing of it is delivered.
    void cancel();
    // The current job's flag is set; it still delivers its result.
    void requestCancel();
    // A current job whose result has not been applied yet.
    bool isRunning() const { return m_running; }
    bool isCurrent(quint64 id) const { return id != 0 && id == m_current; }

  private:
    friend class JobContext;
    JobContext begin();
    void launch(quint64 id, std::function<void()> body);
    // Queued to the tracker's thread; final: the job's result (it is no longer running after it).
    void deliver(quint64 id, std::function<void()> fn, bool final);

    struct OwnThread {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };

    Runner m_runner;
    QObject m_receiver; // lives on the tracker's thread: queued calls reach it there
    quint64 m_lastId = 0;
    quint64 m_current = 0; // 0: none
    bool m_running = false;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QList<QFuture<void>> m_futures;
    std::vector<OwnThread> m_threads;
};

template <typename Work, typename Apply> quint64 JobTracker::start(Work work, Apply apply) {
    const JobContext ctx = begin();
    // Shared, so neither the work nor the apply needs to be copyable.
    auto w = std::make_shared<Work>(std::move(work));
    auto a = std::make_shared<Apply>(std::move(apply));
    launch(ctx.id(), [this, ctx, w, a] {
        auto run = [&] {
            if constexpr (std::is_invocable_v<Work &, const JobContext &>)
                return (*w)(ctx);
            else
                return (*w)();
        };
        using Result = decltype(run());
        if constexpr (std::is_void_v<Result>) {
            run();
            deliver(
                ctx.id(), [a] { (*a)(); }, true);
        } else {
            auto result = std::make_shared<Result>(run());
            deliver(
                ctx.id(), [a, result] { (*a)(std::move(*result)); }, true);
        }
    });
    return ctx.id();
}

} // namespace qbui
