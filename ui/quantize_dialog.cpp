#include "quantize_dialog.h"

#include "formatting.h"
#include "gguf/tensor_bytes.h"
#include "output_folders.h"
#include "page_layout.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace qbui {
namespace {

QString formatSeconds(double s) {
    if (s < 0) return QObject::tr("estimating…");
    if (s < 60) return QObject::tr("%1 s").arg(int(std::ceil(s)));
    return QObject::tr("%1 min %2 s").arg(int(s) / 60).arg(int(s) % 60);
}

} // namespace

QuantizeDialog::QuantizeDialog(std::shared_ptr<const qb::GgufModel> model, qb::ExecutionPlan plan,
                               const QString &mixName, const QString &suggestedOutput, int threads, QWidget *parent)
    : QDialog(parent), m_model(std::move(model)), m_plan(std::move(plan)), m_threads(threads),
      m_job(new QuantizeJob(this)), m_output(new QLineEdit(suggestedOutput, this)),
      m_browse(new QPushButton(tr("Browse…"), this)), m_summary(new QLabel(this)), m_tensor(new QLabel(this)),
      m_progress(new QProgressBar(this)), m_status(new QLabel(this)), m_start(new QPushButton(tr("Quantize"), this)),
      m_cancel(new QPushButton(tr("Cancel"), this)), m_open(new QPushButton(tr("Open result"), this)),
      m_close(new QPushButton(tr("Close"), this)) {
    setWindowTitle(tr("Quantize"));
    setModal(false);
    uint64_t bytes = 0;
    for (const auto &t : m_plan.tensors) {
        const auto &info = *m_model->tensors()[t.source].info;
        bytes += qb::tensorBytesAt(info, t.target);
    }
    m_summary->setText(tr("Mix <b>%1</b>: %2 tensors, about %3 of tensor data.")
                           .arg(mixName.toHtmlEscaped())
                           .arg(m_plan.tensors.size())
                           .arg(formatBytes(bytes)));
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_tensor->setWordWrap(true);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_cancel->setEnabled(false);
    m_open->hide();

    auto *outputRow = new QHBoxLayout;
    outputRow->addWidget(m_output, 1);
    outputRow->addWidget(m_browse);
    auto *form = new QFormLayout;
    form->addRow(tr("Output file:"), outputRow);
    QHBoxLayout *buttons = quantizeButtonRow(m_open, m_start, m_cancel, m_close);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_tensor);
    layout->addWidget(m_status);
    layout->addStretch(1);
    layout->addLayout(buttons);
    resize(560, 240);

    connect(m_browse, &QPushButton::clicked, this, &QuantizeDialog::browse);
    connect(m_start, &QPushButton::clicked, this, &QuantizeDialog::start);
    connect(m_cancel, &QPushButton::clicked, this, &QuantizeDialog::cancel);
    connect(m_close, &QPushButton::clicked, this, &QuantizeDialog::reject);
    connect(m_open, &QPushButton::clicked, this, [this] {
        emit openResult(outputPath());
        accept();
    });
    connect(m_job, &QuantizeJob::progressChanged, this, &QuantizeDialog::onProgress);
    connect(m_job, &QuantizeJob::finished, this, &QuantizeDialog::onFinished);
}

QString QuantizeDialog::outputPath() const { return m_output->text().trimmed(); }
void QuantizeDialog::setOutputPath(const QString &path) { m_output->setText(path); }
QString QuantizeDialog::statusText() const { return m_status->text(); }

void QuantizeDialog::browse() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Write the quantized model to"), outputPath(),
                                                      tr("GGUF models (*.gguf)"));
    if (!path.isEmpty()) {
        m_output->setText(path);
        rememberOutputFolder(kQuantizeFolderKey, QFileInfo(path).absolutePath());
    }
}

bool QuantizeDialog::start() {
    if (m_job->isRunning()) return false;
    const QString path = outputPath();
    if (path.isEmpty()) {
        m_status->setText(tr("Choose an output file first."));
        return false;
    }
    m_status->setText(tr("Quantizing with %n thread(s)…", nullptr, m_threads));
    m_progress->setValue(0);
    m_open->hide();
    m_start->setEnabled(false);
    m_output->setEnabled(false);
    m_browse->setEnabled(false);
    m_cancel->setEnabled(true);
    m_job->start(m_model, m_plan, path, m_threads);
    rememberOutputFolder(kQuantizeFolderKey, QFileInfo(path).absolutePath()); // the next dialog proposes it
    return true;
}

void QuantizeDialog::cancel() {
    if (!m_job->isRunning()) return;
    m_job->cancel();
    m_cancel->setEnabled(false);
    m_status->setText(tr("Cancelling…"));
}

void QuantizeDialog::onProgress(const QuantizeProgress &p) {
    m_progress->setValue(int(p.fraction * 1000.0));
    m_tensor->setText(tr("Tensor %1 of %2: %3 (%4 → %5)")
                          .arg(p.tensorIndex)
                          .arg(p.tensorCount)
                          .arg(p.tensorName, p.fromType.toUpper(), p.toType.toUpper()));
    m_status->setText(tr("%1 elapsed, %2 left").arg(formatSeconds(p.secondsElapsed), formatSeconds(p.secondsLeft)));
}

void QuantizeDialog::onFinished(const QuantizeOutcome &outcome) {
    m_cancel->setEnabled(false);
    m_start->setEnabled(true);
    m_output->setEnabled(true);
    m_browse->setEnabled(true);
    switch (outcome.status) {
    case QuantizeOutcome::Status::Succeeded: {
        const double params = double(m_model->parameterCount());
        m_progress->setValue(1000);
        m_status->setText(tr("Done: %1 written (%2 bits per weight) in %3.")
                              .arg(formatBytes(outcome.result.fileBytes))
                              .arg(params > 0 ? 8.0 * double(outcome.result.outputBytes) / params : 0.0, 0, 'f', 2)
                              .arg(formatSeconds(outcome.result.seconds)));
        m_open->show();
        break;
    }
    case QuantizeOutcome::Status::Cancelled:
        m_progress->setValue(0);
        m_status->setText(tr("Cancelled. Nothing was written."));
        break;
    case QuantizeOutcome::Status::Failed:
        m_progress->setValue(0);
        m_status->setText(tr("Failed: %1 Nothing was written.").arg(outcome.message));
        break;
    }
    if (!outcome.removedLeftovers.isEmpty())
        m_status->setText(m_status->text() + QLatin1Char(' ') +
                          tr("Removed %n temporary file(s) left by an interrupted run: %1.", nullptr,
                             int(outcome.removedLeftovers.size()))
                              .arg(outcome.removedLeftovers.join(QStringLiteral(", "))));
    emit quantizationFinished(outcome);
}

void QuantizeDialog::reject() {
    // Closing while writing means "stop": the job removes its partial output.
    if (m_job->isRunning()) m_job->cancel();
    QDialog::reject();
}

} // namespace qbui
