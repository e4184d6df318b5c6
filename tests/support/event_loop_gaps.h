// The longest time the calling thread's event loop went without turning while something ran: a
// 5 ms timer whose ticks are timed. Tests print it for whoever looks and never assert it (it
// depends on how busy the machine is); what they assert is ordering, not timing.
#pragma once

#include <QElapsedTimer>
#include <QTimer>
#include <QtGlobal>

#include <algorithm>

namespace qbtest {

class EventLoopGaps {
public:
    // logLongGaps: each gap over 50 ms is printed as it ends.
    explicit EventLoopGaps(bool logLongGaps = false) {
        m_ticker.setInterval(5);
        QObject::connect(&m_ticker, &QTimer::timeout, &m_ticker, [this, logLongGaps] {
            const qint64 now = m_clock.elapsed();
            if (logLongGaps && now - m_last > 50) qInfo("gap of %lld ms ending at %lld ms", now - m_last, now);
            m_worst = std::max(m_worst, now - m_last);
            m_last = now;
        });
    }
    void start() {
        m_clock.start();
        m_ticker.start();
    }
    void stop() { m_ticker.stop(); }
    qint64 worstMs() const { return m_worst; }

private:
    QElapsedTimer m_clock;
    QTimer m_ticker;
    qint64 m_last = 0;
    qint64 m_worst = 0;
};

} // namespace qbtest
