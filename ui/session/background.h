// Runs work on the thread pool and applies its result on the context object's thread.
//
// Why not QFuture::then(context, ...): with Qt 6.4 a continuation attached to a context that
// was created after an earlier context was destroyed was observed never to run. A
// QFutureWatcher owned by the context is simple and safe: if the context dies first, the
// watcher dies with it and the result is dropped.
#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

#include <QList>

#include <utility>

namespace qbui {

template <typename Work, typename Apply>
void runInBackground(QObject *context, Work work, Apply apply) {
    using Result = decltype(work());
    auto *watcher = new QFutureWatcher<Result>(context);
    QObject::connect(watcher, &QFutureWatcher<Result>::finished, context,
                     [watcher, apply = std::move(apply)]() mutable {
                         apply(watcher->result());
                         watcher->deleteLater();
                     });
    watcher->setFuture(QtConcurrent::run(std::move(work)));
}

// Workers that post results to an object must finish before it is destroyed, but the GUI thread
// must never wait for one while running: keep them here and wait only in the destructor.
class PendingWork {
public:
    void add(QFuture<void> future) {
        m_futures.removeIf([](const QFuture<void> &f) { return f.isFinished(); });
        m_futures.append(std::move(future));
    }
    void waitAll() {
        for (auto &f : m_futures) f.waitForFinished();
        m_futures.clear();
    }

private:
    QList<QFuture<void>> m_futures;
};

} // namespace qbui
