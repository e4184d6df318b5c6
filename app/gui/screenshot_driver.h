// Renders the real window with a model loaded into a PNG: the README's screenshot, produced by
// the program itself (`quantbench --screenshot FILE [MODEL]`).
//
// Contract: opens the model, chooses the label (Q4_K_M by default), selects a tensor, waits for
// the exact histogram, the size-against-quality chart and the model overview (or a timeout), then
// grabs the window three times: the tensor page into FILE, the chart into FILE-chart.png and the
// overview into FILE-overview.png (FILE without its .png). done() reports success or what failed.
#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

class QWidget;

namespace qbui {

class MainWindow;


class ScreenshotDriver final : public QObject {
    Q_OBJECT
public:
    ScreenshotDriver(MainWindow *window, QString output, QObject *parent = nullptr);
    void setLabel(const QString &label) { m_label = label; }
    void setTensor(const QString &tensor) { m_tensor = tensor; }
    void start(const QString &modelPath, int timeoutMs = 60000);

signals:
    void done(bool ok, const QString &message);

private:
    void onModelReady();
    void maybeCapture();
    void capture();
    // Grabs the window with page in front into path; false (and done(false)) on failure.
    bool grabPage(QWidget *page, const QString &path);
    QString siblingPath(const QString &suffix) const;
    void fail(const QString &message);

    MainWindow *m_window;
    QString m_output;
    QString m_label = QStringLiteral("Q4_K_M");
    QString m_tensor = QStringLiteral("blk.1.ffn_down.weight");
    bool m_histogramExact = false;
    bool m_chartDone = false;
    bool m_overviewDone = false;
    bool m_finished = false;
    QTimer m_timeout;
};

} // namespace qbui
