#include "model_quality_panel.h"

#include "label_table_model.h"
#include "mix_controller.h"
#include "mix_document.h"
#include "model_quality_job.h"
#include "model_quality_results.h"
#include "quality_chart_page.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

namespace qbui {
namespace {
const QString kTextKey = QStringLiteral("modelQuality/text");
QString mixPrefix() { return ModelQualityPanel::tr("your mix: "); }
} // namespace

ModelQualityPanel::ModelQualityPanel(LabelTableModel *labels, QualityChartPage *chart, QWidget *parent)
    : QWidget(parent), m_labels(labels), m_chart(chart), m_job(new ModelQualityJob(this)),
      m_results(new ModelQualityResults(this)), m_mixBox(new QCheckBox(this)), m_textLabel(new QLabel(this)),
      m_status(new QLabel(this)), m_ctx(new QSpinBox(this)), m_chunks(new QSpinBox(this)),
      m_measure(new QPushButton(tr("Measure"), this)), m_cancel(new QPushButton(tr("Cancel"), this)),
      m_progress(new QProgressBar(this)) {
    auto *chooseText = new QPushButton(tr("Text…"), this);
    auto *chooseFiles = new QPushButton(tr("Add files…"), this);
    m_ctx->setRange(0, 1 << 20);
    m_ctx->setSpecialValueText(tr("auto"));
    m_ctx->setPrefix(tr("ctx "));
    m_chunks->setRange(0, 1 << 20);
    m_chunks->setSpecialValueText(tr("all chunks"));
    m_chunks->setSuffix(tr(" chunks"));
    m_progress->setRange(0, 1);
    m_progress->hide();
    m_cancel->hide();
    m_status->setWordWrap(true);
    connect(chooseText, &QPushButton::clicked, this, &ModelQualityPanel::chooseText);
    connect(chooseFiles, &QPushButton::clicked, this, &ModelQualityPanel::chooseFiles);
    connect(m_measure, &QPushButton::clicked, this, &ModelQualityPanel::measure);
    connect(m_cancel, &QPushButton::clicked, this, &ModelQualityPanel::cancel);
    connect(m_labels, &LabelTableModel::checkedLabelsChanged, this, &ModelQualityPanel::updateButtons);
    connect(m_mixBox, &QCheckBox::toggled, this, &ModelQualityPanel::updateButtons);
    m_mixBox->hide(); // until setMix()
    m_fileList = new QListWidget(this);
    m_fileList->setMaximumHeight(fontMetrics().height() * 6);
    m_fileList->hide();
    connect(m_fileList, &QListWidget::itemChanged, this, &ModelQualityPanel::updateButtons);

    connect(m_job, &ModelQualityJob::progress, this, [this](const QString &model, int chunk, int chunks, double eta) {
        m_progress->setRange(0, chunks);
        m_progress->setValue(chunk);
        m_status->setText(
            tr("%1: chunk %2 of %3, about %4 s left").arg(model).arg(chunk).arg(chunks).arg(eta, 0, 'f', 0));
    });
    connect(m_job, &ModelQualityJob::measured, this, &ModelQualityPanel::showMeasured);
    connect(m_job, &ModelQualityJob::finished, this, [this](bool cancelled, const QString &error) {
        m_progress->hide();
        m_cancel->hide();
        m_status->setText(!error.isEmpty() ? tr("Measurement failed: %1").arg(error)
                          : cancelled      ? tr("Measurement cancelled.")
                                      : tr("Measured. Switch the chart's quality axis to see the measured points."));
        m_status->setStyleSheet(error.isEmpty() ? QString() : QStringLiteral("color: #b00020"));
        updateButtons();
    });

    auto *row = new QHBoxLayout;
    row->addWidget(chooseText);
    row->addWidget(m_textLabel, 1);
    row->addWidget(m_ctx);
    row->addWidget(m_chunks);
    row->addWidget(chooseFiles);
    row->addWidget(m_measure);
    auto *resultsView = new QTableView(this);
    resultsView->setModel(m_results);
    resultsView->verticalHeader()->hide();
    resultsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    resultsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(m_status, 1);
    progressRow->addWidget(m_progress);
    progressRow->addWidget(m_cancel);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("KL divergence and perplexity of the checked labels against the open model, "
                                    "through llama.cpp (as llama-perplexity --kl-divergence)."),
                                 this));
    layout->addLayout(row);
    layout->addWidget(m_mixBox);
    layout->addWidget(m_fileList);
    layout->addLayout(progressRow);
    layout->addWidget(resultsView, 1);

    setTextPath(QSettings().value(kTextKey).toString());
    if (!ModelQualityJob::available()) m_status->setText(ModelQualityJob::missingMessage());
    updateButtons();
}

void ModelQualityPanel::setModelPath(const QString &path) {
    m_job->cancel();
    m_model = path;
    setFiles({});
    // The measured points were the previous model's: off the chart with the table's rows.
    for (const QString &name : std::as_const(m_onChart))
        m_chart->setMeasured(name, {});
    m_onChart.clear();
    m_results->clear();
    m_mixMeasured.clear();
    updateButtons();
}

void ModelQualityPanel::setMix(MixDocument *mix, MixController *controller) {
    m_mix = mix;
    m_controller = controller;
    m_mixBox->show();
    connect(m_mix, &MixDocument::changed, this, &ModelQualityPanel::mixChanged);
    connect(m_mix, &MixDocument::labelChanged, this, &ModelQualityPanel::mixChanged);
    mixChanged();
}

void ModelQualityPanel::setMixChecked(bool checked) { m_mixBox->setChecked(checked); }
bool ModelQualityPanel::isMixChecked() const { return m_mixBox->isChecked(); }

QString ModelQualityPanel::mixResultName() const { return m_mix ? mixPrefix() + m_mix->displayName() : QString(); }

// A measured result of the mix describes the mix as it was: once the user changes a tensor or the
// label, it is withdrawn from the table and the chart, and a result still on its way is dropped.
void ModelQualityPanel::mixChanged() {
    const bool labelled = m_mix && !m_mix->label().isEmpty();
    m_mixBox->setText(labelled ? tr("Measure your mix too: %1").arg(m_mix->displayName())
                               : tr("Measure your mix too (choose a label first)"));
    if (!m_mixMeasured.isEmpty()) {
        m_results->setMeasured(m_mixMeasured, {});
        m_chart->setMeasured(m_mixMeasured, {});
        m_mixMeasured.clear();
    }
    updateButtons();
}

void ModelQualityPanel::showMeasured(const QString &name, const MeasuredQuality &quality) {
    if (name.startsWith(mixPrefix()) && name != m_mixMeasured) return; // the mix changed meanwhile
    m_labels->setMeasured(name, quality);
    m_chart->setMeasured(name, quality);
    m_onChart.insert(name);
    m_results->setMeasured(name, quality);
}

void ModelQualityPanel::setTextPath(const QString &path) {
    m_text = path;
    m_textLabel->setText(path.isEmpty() ? tr("(choose a text)") : QFileInfo(path).fileName());
    m_textLabel->setToolTip(path);
    if (!path.isEmpty()) QSettings().setValue(kTextKey, path);
    updateButtons();
}

void ModelQualityPanel::setContext(int ctx) { m_ctx->setValue(ctx); }
void ModelQualityPanel::setChunks(int chunks) { m_chunks->setValue(chunks); }
QString ModelQualityPanel::status() const { return m_status->text(); }

void ModelQualityPanel::chooseText() {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Text to score"), m_text, tr("Text (*.txt *.raw);;All files (*)"));
    if (!path.isEmpty()) setTextPath(path);
}

void ModelQualityPanel::chooseFiles() {
    const QStringList files =
        QFileDialog::getOpenFileNames(this, tr("Quantized files of this model"), {}, tr("GGUF (*.gguf)"));
    if (!files.isEmpty()) addFiles(files);
}

void ModelQualityPanel::setFiles(const QStringList &files) {
    m_fileList->clear();
    addFiles(files);
}

void ModelQualityPanel::addFiles(const QStringList &files) {
    const QSignalBlocker quiet(m_fileList); // one updateButtons() at the end, not one per row
    const QStringList listed = this->files();
    for (const QString &f : files) {
        if (listed.contains(f)) continue;
        auto *item = new QListWidgetItem(tr("File: %1").arg(QFileInfo(f).fileName()), m_fileList);
        item->setData(Qt::UserRole, f);
        item->setToolTip(f);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Checked);
    }
    m_fileList->setVisible(m_fileList->count() > 0);
    updateButtons();
}

QStringList ModelQualityPanel::files() const {
    QStringList out;
    for (int i = 0; i < m_fileList->count(); ++i)
        out.append(m_fileList->item(i)->data(Qt::UserRole).toString());
    return out;
}

QStringList ModelQualityPanel::checkedFiles() const {
    QStringList out;
    for (int i = 0; i < m_fileList->count(); ++i)
        if (m_fileList->item(i)->checkState() == Qt::Checked)
            out.append(m_fileList->item(i)->data(Qt::UserRole).toString());
    return out;
}

void ModelQualityPanel::setFileChecked(const QString &file, bool checked) {
    for (int i = 0; i < m_fileList->count(); ++i)
        if (m_fileList->item(i)->data(Qt::UserRole).toString() == file)
            m_fileList->item(i)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
}

void ModelQualityPanel::updateButtons() {
    const bool mix = m_mix && m_mixBox->isChecked() && !m_mix->label().isEmpty();
    const bool something = !m_labels->checkedLabels().isEmpty() || !checkedFiles().isEmpty() || mix;
    m_measure->setEnabled(ModelQualityJob::available() && !m_model.isEmpty() && !m_text.isEmpty() && something &&
                          !m_job->isRunning());
    m_measure->setToolTip(m_text.isEmpty() ? tr("Choose a text first")
                          : !something     ? tr("Tick labels in the label list, your mix or added files")
                                           : QString());
}

void ModelQualityPanel::measure() {
    if (!ModelQualityJob::available()) {
        m_status->setText(ModelQualityJob::missingMessage());
        return;
    }
    ModelQualityJob::Request r;
    r.base = m_model;
    r.text = m_text;
    r.labels = m_labels->checkedLabels();
    r.files = checkedFiles();
    if (m_controller) {
        // Labels as the window would quantize them; the mix exactly as its preset says.
        const qb::MixPreset preset = m_controller->preset();
        r.ruleSet = m_controller->ruleSet();
        r.imatrix = QString::fromStdString(preset.imatrixFile);
        if (m_mixBox->isChecked() && !m_mix->label().isEmpty()) {
            m_mixMeasured = mixResultName();
            r.mixes.push_back({m_mixMeasured, preset});
        }
    }
    r.ctx = m_ctx->value();
    r.chunks = m_chunks->value() > 0 ? m_chunks->value() : -1;
    r.threads = m_threads;
    m_status->setStyleSheet({});
    m_status->setText(tr("Preparing the base model…"));
    m_progress->setRange(0, 0);
    m_progress->show();
    m_cancel->show();
    m_job->start(r);
    updateButtons();
}

void ModelQualityPanel::cancel() { m_job->cancel(); }

} // namespace qbui
