#include "multi_quantize_dialog.h"

#include "formatting.h"
#include "output_folders.h"
#include "page_layout.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace qbui {

MultiQuantizeDialog::MultiQuantizeDialog(std::shared_ptr<const qb::GgufModel> model, std::vector<LabelPlan> plans,
                                         const QString &modelName, const QString &folder, int threads, QWidget *parent)
    : QDialog(parent), m_model(std::move(model)), m_plans(std::move(plans)), m_modelName(modelName), m_threads(threads),
      m_job(new MultiQuantizeJob(this)), m_folder(new QLineEdit(folder, this)),
      m_browse(new QPushButton(tr("Browse…"), this)),
      m_pattern(new QLineEdit(QStringLiteral("{model}-{label}.gguf"), this)), m_table(new QTableWidget(this)),
      m_status(new QLabel(this)), m_addSavedMix(new QPushButton(tr("Add saved mix…"), this)),
      m_start(new QPushButton(tr("Quantize"), this)), m_cancel(new QPushButton(tr("Cancel"), this)),
      m_close(new QPushButton(tr("Close"), this)) {
    setWindowTitle(tr("Quantize checked labels"));
    setModal(false);
    m_table->setColumnCount(ColumnCount);
    m_table->setHorizontalHeaderLabels({tr("Output"), tr("File"), tr("Progress"), tr("State")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setStretchLastSection(true);
    for (size_t i = 0; i < m_plans.size(); ++i)
        addRow(i);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    refreshSummary();
    m_addSavedMix->hide();
    m_cancel->setEnabled(false);
    m_start->setEnabled(!m_runnable.empty());

    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(m_browse);
    auto *form = new QFormLayout;
    form->addRow(tr("Folder:"), folderRow);
    form->addRow(tr("File names:"), m_pattern);
    QHBoxLayout *buttons = quantizeButtonRow(m_addSavedMix, m_start, m_cancel, m_close);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_status);
    layout->addLayout(buttons);
    resize(720, 420);
    refreshFileColumn();

    connect(m_folder, &QLineEdit::textChanged, this, &MultiQuantizeDialog::refreshFileColumn);
    connect(m_pattern, &QLineEdit::textChanged, this, &MultiQuantizeDialog::refreshFileColumn);
    connect(m_browse, &QPushButton::clicked, this, &MultiQuantizeDialog::browse);
    connect(m_start, &QPushButton::clicked, this, &MultiQuantizeDialog::start);
    connect(m_addSavedMix, &QPushButton::clicked, this, &MultiQuantizeDialog::chooseSavedMix);
    connect(m_cancel, &QPushButton::clicked, this, &MultiQuantizeDialog::cancel);
    connect(m_close, &QPushButton::clicked, this, &MultiQuantizeDialog::reject);
    connect(m_job, &MultiQuantizeJob::outputProgress, this, &MultiQuantizeDialog::onProgress);
    connect(m_job, &MultiQuantizeJob::finished, this, &MultiQuantizeDialog::onFinished);
}

void MultiQuantizeDialog::addRow(size_t index) {
    const LabelPlan &p = m_plans[index];
    if (p.plan) m_runnable.push_back(index);
    const int row = int(index);
    m_table->setRowCount(row + 1);
    m_table->setItem(row, OutputColumn, new QTableWidgetItem(p.label));
    m_table->setItem(row, FileColumn, new QTableWidgetItem);
    auto *state = new QTableWidgetItem(p.plan ? tr("waiting") : tr("refused: %1").arg(p.refusal));
    state->setToolTip(p.refusal);
    m_table->setItem(row, StateColumn, state);
    if (p.plan) {
        auto *bar = new QProgressBar(m_table);
        bar->setRange(0, int(p.plan->tensors.size()));
        bar->setValue(0);
        m_table->setCellWidget(row, ProgressColumn, bar);
    }
}

void MultiQuantizeDialog::refreshSummary() {
    const size_t refused = m_plans.size() - m_runnable.size();
    m_status->setText(
        refused
            ? tr("%1 outputs in one pass; %2 refused for this model (see State).").arg(m_runnable.size()).arg(refused)
            : tr("%1 outputs in one pass over the model.").arg(m_runnable.size()));
    m_start->setEnabled(!m_job->isRunning() && !m_runnable.empty());
}

void MultiQuantizeDialog::addPlan(LabelPlan plan) {
    if (m_job->isRunning()) return;
    m_plans.push_back(std::move(plan));
    addRow(m_plans.size() - 1);
    refreshFileColumn();
    refreshSummary();
}

void MultiQuantizeDialog::setPresetPlanner(std::function<LabelPlan(const QString &)> planner) {
    m_presetPlanner = std::move(planner);
    m_addSavedMix->setVisible(bool(m_presetPlanner));
}

void MultiQuantizeDialog::chooseSavedMix() {
    if (!m_presetPlanner) return;
    const QStringList paths =
        QFileDialog::getOpenFileNames(this, tr("Add saved mixes"), folder(), tr("Presets (*.json)"));
    for (const QString &path : paths)
        addPlan(m_presetPlanner(path));
}

QString MultiQuantizeDialog::folder() const { return m_folder->text(); }
void MultiQuantizeDialog::setFolder(const QString &folder) { m_folder->setText(folder); }
QString MultiQuantizeDialog::pattern() const { return m_pattern->text(); }
void MultiQuantizeDialog::setPattern(const QString &pattern) { m_pattern->setText(pattern); }
QString MultiQuantizeDialog::statusText() const { return m_status->text(); }

QStringList MultiQuantizeDialog::outputPaths() const {
    QStringList paths;
    const QDir dir(folder());
    for (size_t i : m_runnable)
        paths << dir.filePath(outputFileName(pattern(), m_modelName, m_plans[i].label));
    return paths;
}

void MultiQuantizeDialog::refreshFileColumn() {
    const QStringList paths = outputPaths();
    for (size_t k = 0; k < m_runnable.size(); ++k)
        m_table->item(int(m_runnable[k]), FileColumn)->setText(QFileInfo(paths[int(k)]).fileName());
}

void MultiQuantizeDialog::browse() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder for the outputs"), folder());
    if (!dir.isEmpty()) {
        setFolder(dir);
        rememberOutputFolder(kQuantizeCheckedFolderKey, dir);
    }
}

void MultiQuantizeDialog::setRunning(bool running) {
    m_start->setEnabled(!running && !m_runnable.empty());
    m_addSavedMix->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_folder->setEnabled(!running);
    m_browse->setEnabled(!running);
    m_pattern->setEnabled(!running);
}

bool MultiQuantizeDialog::start() {
    if (m_job->isRunning() || m_runnable.empty()) return false;
    if (!QFileInfo(folder()).isDir()) {
        m_status->setText(tr("The folder '%1' does not exist.").arg(folder()));
        return false;
    }
    if (m_runnable.size() > 1 && !pattern().contains(QStringLiteral("{label}"))) {
        m_status->setText(tr("The file-name pattern needs {label}: every output would get the same name."));
        return false;
    }
    const QStringList paths = outputPaths();
    std::vector<qb::MultiOutputSpec> specs;
    for (size_t k = 0; k < m_runnable.size(); ++k) {
        specs.push_back({paths[int(k)].toStdString(), *m_plans[m_runnable[k]].plan});
        auto *bar = static_cast<QProgressBar *>(m_table->cellWidget(int(m_runnable[k]), ProgressColumn));
        bar->setValue(0);
        m_table->item(int(m_runnable[k]), StateColumn)->setText(tr("running"));
    }
    rememberOutputFolder(kQuantizeCheckedFolderKey, folder()); // the next dialog proposes it
    m_status->setText(tr("Quantizing %1 outputs in one pass…").arg(specs.size()));
    setRunning(true);
    m_job->start(m_model, std::move(specs), m_threads);
    return true;
}

void MultiQuantizeDialog::cancel() {
    if (!m_job->isRunning()) return;
    m_job->cancel();
    m_status->setText(tr("Cancelling…"));
}

void MultiQuantizeDialog::onProgress(int output, int written, int total) {
    if (output < 0 || size_t(output) >= m_runnable.size()) return;
    auto *bar = static_cast<QProgressBar *>(m_table->cellWidget(int(m_runnable[size_t(output)]), ProgressColumn));
    bar->setMaximum(total);
    bar->setValue(written);
}

void MultiQuantizeDialog::onFinished(const MultiQuantizeOutcome &outcome) {
    setRunning(false);
    int written = 0;
    QStringList failed;
    for (size_t k = 0; k < m_runnable.size() && k < outcome.result.outputs.size(); ++k) {
        const qb::MultiOutputResult &r = outcome.result.outputs[k];
        const LabelPlan &p = m_plans[m_runnable[k]];
        QTableWidgetItem *state = m_table->item(int(m_runnable[k]), StateColumn);
        switch (r.state) {
        case qb::OutputState::Written: {
            ++written;
            uint64_t params = 0;
            for (const auto &t : p.plan->tensors)
                params += uint64_t(m_model->tensors()[t.source].info->elements());
            state->setText(tr("written, %1, %2 bits per weight")
                               .arg(formatBytes(r.fileBytes))
                               .arg(params ? 8.0 * double(r.tensorBytes) / double(params) : 0.0, 0, 'f', 2));
            break;
        }
        case qb::OutputState::Cancelled: state->setText(tr("cancelled, nothing written")); break;
        default:
            failed << p.label;
            state->setText(
                tr("%1: %2").arg(QString::fromLatin1(qb::outputStateName(r.state)),
                                 outcome.failure.isEmpty() ? QString::fromUtf8(r.error.c_str()) : outcome.failure));
            break;
        }
        state->setToolTip(state->text());
    }
    QString text = tr("%1 of %2 outputs written.").arg(written).arg(m_runnable.size());
    if (outcome.cancelled) text += QLatin1Char(' ') + tr("Cancelled: only the outputs listed as written exist.");
    if (!outcome.failure.isEmpty())
        text += QLatin1Char(' ') + tr("Failed: %1. Nothing was written.").arg(outcome.failure);
    else if (!failed.isEmpty())
        text += QLatin1Char(' ') + tr("Failed: %1 (their files were removed).").arg(failed.join(QStringLiteral(", ")));
    if (outcome.result.singleRunQuantizations > 0)
        text += QLatin1Char(' ') + tr("%1 distinct quantizations instead of %2 in single runs.")
                                       .arg(outcome.result.quantizations)
                                       .arg(outcome.result.singleRunQuantizations);
    m_status->setText(text);
    emit quantizationFinished(outcome);
}

void MultiQuantizeDialog::reject() {
    if (m_job->isRunning()) m_job->cancel();
    QDialog::reject();
}

} // namespace qbui
