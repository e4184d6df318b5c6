// The job tracker every page and job runs its background work with (ui/session/job_tracker.h):
// results come back on the tracker's thread, a superseded or cancelled job delivers nothing while
// its worker sees the flag, requestCancel still delivers, and destroying the tracker while its
// work runs (or while its result waits in the queue) neither crashes nor delivers.
#include "job_tracker.h"

#include <QSemaphore>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

using qbui::JobContext;
using qbui::JobTracker;

class TestJobTracker : public QObject {
    Q_OBJECT
private slots:
    void deliversOnTheTrackersThread_data();
    void deliversOnTheTrackersThread();
    void supersededJobIsFlaggedAndDropped();
    void cancelReachesTheWorkerAndDropsTheResult();
    void requestCancelStillDelivers();
    void postsArriveInOrderBeforeTheResult();
    void applyMayStartTheNextJob();
    void throwingWorkEndsTheJob();
    void destructionWhileRunningDeliversNothing();
    void destructionWithQueuedResultDeliversNothing();
};

namespace {

// Waits (bounded) until a worker has set the flag; a test never hangs.
bool waitFor(const std::atomic<bool> &flag, int ms = 10000) {
    QElapsedTimer t;
    t.start();
    while (!flag.load() && t.elapsed() < ms) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return flag.load();
}

// Work that runs until released or cancelled; says which.
struct Gate {
    QSemaphore release;
    std::atomic<bool> started{false};
    std::atomic<bool> sawCancel{false};
};

int gatedWork(const std::shared_ptr<Gate> &gate, const JobContext &ctx, int value) {
    gate->started = true;
    while (!gate->release.tryAcquire(1, 1)) {
        if (ctx.cancelled()) {
            gate->sawCancel = true;
            return -1;
        }
    }
    return value;
}

} // namespace

void TestJobTracker::deliversOnTheTrackersThread_data() {
    QTest::addColumn<int>("runner");
    QTest::newRow("thread pool") << int(JobTracker::Runner::ThreadPool);
    QTest::newRow("own thread") << int(JobTracker::Runner::OwnThread);
}

void TestJobTracker::deliversOnTheTrackersThread() {
    QFETCH(int, runner);
    JobTracker tracker{JobTracker::Runner(runner)};
    std::atomic<QThread *> workThread{nullptr};
    QThread *applyThread = nullptr;
    int applied = 0;
    tracker.start(
        [&](const JobContext &) {
            workThread = QThread::currentThread();
            return 42;
        },
        [&](int v) {
            applyThread = QThread::currentThread();
            applied = v;
        });
    QVERIFY(tracker.isRunning());
    QCOMPARE(applied, 0);  // never synchronously, even if the work is quick
    QTRY_COMPARE_WITH_TIMEOUT(applied, 42, 10000);
    QVERIFY(!tracker.isRunning());
    QCOMPARE(applyThread, QThread::currentThread());
    QVERIFY(workThread.load() != nullptr);
    QVERIFY(workThread.load() != QThread::currentThread());
}

void TestJobTracker::supersededJobIsFlaggedAndDropped() {
    JobTracker tracker;
    auto first = std::make_shared<Gate>();
    QList<int> applied;
    const quint64 a = tracker.start([first](const JobContext &ctx) { return gatedWork(first, ctx, 1); },
                                    [&](int v) { applied << v; });
    QVERIFY(waitFor(first->started));
    const quint64 b = tracker.start([] { return 2; }, [&](int v) { applied << v; });
    QVERIFY(a != b);
    QVERIFY(!tracker.isCurrent(a));
    QVERIFY(tracker.isCurrent(b));
    QVERIFY(waitFor(first->sawCancel));  // the flag reached the superseded worker
    QTRY_COMPARE_WITH_TIMEOUT(applied, QList<int>{2}, 10000);
    // Nothing of the first job arrives later either.
    QTest::qWait(50);
    QCOMPARE(applied, QList<int>{2});
}

void TestJobTracker::cancelReachesTheWorkerAndDropsTheResult() {
    JobTracker tracker;
    auto gate = std::make_shared<Gate>();
    int applied = 0;
    const quint64 id = tracker.start([gate](const JobContext &ctx) { return gatedWork(gate, ctx, 1); },
                                     [&](int) { ++applied; });
    QVERIFY(waitFor(gate->started));
    tracker.cancel();
    QVERIFY(!tracker.isRunning());
    QVERIFY(!tracker.isCurrent(id));
    QVERIFY(waitFor(gate->sawCancel));
    QTest::qWait(50);
    QCOMPARE(applied, 0);
}

void TestJobTracker::requestCancelStillDelivers() {
    JobTracker tracker{JobTracker::Runner::OwnThread};
    auto gate = std::make_shared<Gate>();
    QList<int> applied;
    tracker.start([gate](const JobContext &ctx) { return gatedWork(gate, ctx, 1); }, [&](int v) { applied << v; });
    QVERIFY(waitFor(gate->started));
    tracker.requestCancel();
    QVERIFY(tracker.isRunning());
    QTRY_COMPARE_WITH_TIMEOUT(applied, QList<int>{-1}, 10000);  // the "cancelled" outcome arrives
    QVERIFY(gate->sawCancel);
    QVERIFY(!tracker.isRunning());
}

void TestJobTracker::postsArriveInOrderBeforeTheResult() {
    JobTracker tracker;
    QList<int> seen;
    tracker.start(
        [&seen](const JobContext &ctx) {
            for (int i = 0; i < 100; ++i) ctx.post([&seen, i] { seen << i; });
            return 100;
        },
        [&](int v) { seen << v; });
    QTRY_COMPARE_WITH_TIMEOUT(seen.size(), 101, 10000);
    for (int i = 0; i <= 100; ++i) QCOMPARE(seen[i], i);
    // A post after the result is dropped: the job has delivered.
    QTest::qWait(20);
    QCOMPARE(seen.size(), 101);
}

void TestJobTracker::applyMayStartTheNextJob() {
    JobTracker tracker;
    QList<int> applied;
    tracker.start([] { return 1; }, [&](int v) {
        applied << v;
        tracker.start([] { return 2; }, [&](int w) { applied << w; });
        QVERIFY(tracker.isRunning());
    });
    QTRY_COMPARE_WITH_TIMEOUT(applied, (QList<int>{1, 2}), 10000);
    QVERIFY(!tracker.isRunning());
}

void TestJobTracker::throwingWorkEndsTheJob() {
    JobTracker tracker;
    int applied = 0;
    QTest::ignoreMessage(QtWarningMsg, "background job failed: broken");
    tracker.start([]() -> int { throw std::runtime_error("broken"); }, [&](int) { ++applied; });
    QTRY_VERIFY_WITH_TIMEOUT(!tracker.isRunning(), 10000);
    QCOMPARE(applied, 0);
}

void TestJobTracker::destructionWhileRunningDeliversNothing() {
    auto applied = std::make_shared<std::atomic<int>>(0);
    for (auto runner : {JobTracker::Runner::ThreadPool, JobTracker::Runner::OwnThread}) {
        auto gateHere = std::make_shared<Gate>();
        {
            auto tracker = std::make_unique<JobTracker>(runner);
            tracker->start(
                [gateHere](const JobContext &ctx) {
                    ctx.post([] { QFAIL("a post reached a destroyed tracker"); });
                    return gatedWork(gateHere, ctx, 1);
                },
                [applied](int) { ++*applied; });
            QVERIFY(waitFor(gateHere->started));
            tracker.reset();  // cancels and waits: the worker saw its flag
        }
        QVERIFY(gateHere->sawCancel);
        QCoreApplication::processEvents();
        QTest::qWait(20);
    }
    QCOMPARE(applied->load(), 0);
}

void TestJobTracker::destructionWithQueuedResultDeliversNothing() {
    auto applied = std::make_shared<std::atomic<int>>(0);
    auto done = std::make_shared<std::atomic<bool>>(false);
    {
        JobTracker tracker;
        tracker.start(
            [done] {
                done->store(true);
                return 1;
            },
            [applied](int) { ++*applied; });
        QVERIFY(waitFor(*done));
        QThread::msleep(20);  // the result is queued now, not yet delivered (no event loop ran)
    }
    QCoreApplication::processEvents();
    QTest::qWait(20);
    QCOMPARE(applied->load(), 0);
}

QTEST_GUILESS_MAIN(TestJobTracker)
#include "tst_job_tracker.moc"
