#include "main_window.h"
#include "model_quality_panel.h"

#include "dropped_files.h"
#include "error_banner.h"
#include "fit_to_size_panel.h"
#include "formatting.h"
#include "histogram_page.h"
#include "label_picker.h"
#include "label_table_model.h"
#include "mix_controller.h"
#include "mix_document.h"
#include "mix_error_scanner.h"
#include "model_info_panel.h"
#include "model_overview_page.h"
#include "model_session.h"
#include "multi_quantize_dialog.h"
#include "output_folders.h"
#include "quality_chart_page.h"
#include "quantize_dialog.h"
#include "tensor_panel.h"
#include "tensor_table_model.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

namespace qbui {
namespace {

constexpr int kMaxRecentFiles = 8;

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_session(new ModelSession(this)), m_mix(new MixDocument(this)),
      m_scanner(new MixErrorScanner(this)), m_banner(new ErrorBanner(this)), m_info(new ModelInfoPanel(this)),
      m_tensors(new TensorPanel(m_mix, this)), m_histogram(new HistogramPage(this)),
      m_controller(new MixController(m_session, m_mix, this)), m_labelModel(new LabelTableModel(this)),
      m_labelPicker(new LabelPicker(m_labelModel, this)), m_chart(new QualityChartPage(this)),
      m_pages(new QTabWidget(this)), m_splitter(new QSplitter(Qt::Vertical, this)), m_modelStatus(new QLabel(this)),
      m_mixStatus(new QLabel(this)), m_busy(new QProgressBar(this)) {
    setWindowTitle(QStringLiteral("QuantBench"));
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

    // Work area: the banner, the tensor table above the pages of charts.
    m_splitter->addWidget(m_tensors);
    m_splitter->addWidget(m_pages);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 4);
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_histogram, tr("Tensor error"));
    auto *chartPage = new QWidget(this);
    setUpFitToSize(chartPage);
    m_pages->addTab(chartPage, tr("Size vs quality"));
    // Model quality through llama.cpp: measures the labels ticked in the label list.
    m_quality = new ModelQualityPanel(m_labelModel, m_chart, this);
    m_quality->setMix(m_mix, m_controller);
    m_pages->addTab(m_quality, tr("Model quality"));
    m_pages->addTab(m_overview = new ModelOverviewPage(m_session, m_mix, this), tr("Model overview"));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->addWidget(m_banner);
    layout->addWidget(m_splitter, 1);
    setCentralWidget(central);

    auto *infoDock = new QDockWidget(tr("Model"), this);
    infoDock->setObjectName(QStringLiteral("modelDock"));
    infoDock->setWidget(m_info);
    addDockWidget(Qt::LeftDockWidgetArea, infoDock);

    auto *labelDock = new QDockWidget(tr("Labels"), this);
    labelDock->setObjectName(QStringLiteral("labelDock"));
    labelDock->setWidget(m_labelPicker);
    addDockWidget(Qt::RightDockWidgetArea, labelDock);
    connect(m_labelPicker, &LabelPicker::labelChosen, this, &MainWindow::chooseLabel);
    connect(m_labelPicker, &LabelPicker::quantizeCheckedRequested, this, &MainWindow::openMultiQuantizeDialog);
    resizeDocks({infoDock, labelDock}, {300, 500}, Qt::Horizontal);
    connect(m_mix, &MixDocument::labelChanged, m_labelModel, &LabelTableModel::setCurrentLabel);
    connect(m_chart, &QualityChartPage::summaryReady, m_labelModel, &LabelTableModel::setQuality);
    connect(m_chart, &QualityChartPage::labelClicked, this, &MainWindow::chooseLabel);
    connect(m_overview, &ModelOverviewPage::tensorClicked, this, [this](int tensor) {
        m_tensors->selectTensor(tensor);
        m_pages->setCurrentWidget(m_histogram);
    });

    m_busy->setRange(0, 0);
    m_busy->setMaximumWidth(140);
    m_busy->setTextVisible(false);
    m_busy->hide();
    statusBar()->addWidget(m_modelStatus, 1);
    statusBar()->addPermanentWidget(m_mixStatus);
    m_rulesStatus = new QLabel(this);
    m_rulesStatus->setObjectName(QStringLiteral("rulesStatus"));
    statusBar()->addPermanentWidget(m_rulesStatus);
    statusBar()->addPermanentWidget(m_busy);

    QSettings settings;
    m_threads = std::clamp(settings.value(QStringLiteral("threads"), QThread::idealThreadCount()).toInt(), 1, 1024);
    m_histogram->setThreads(m_threads);
    m_chart->setThreads(m_threads);
    const auto savedRules = qb::ruleSetFromName(
        settings.value(QStringLiteral("ruleSet"), QString::fromLatin1(qb::ruleSetName(qb::kDefaultRuleSet)))
            .toString()
            .toStdString());
    m_controller->setRuleSet(savedRules.value_or(qb::kDefaultRuleSet));

    createMenus();

    connect(m_session, &ModelSession::busyChanged, this, [this](bool busy) {
        m_busy->setVisible(busy);
        if (busy)
            statusBar()->showMessage(tr("Reading…"));
        else if (statusBar()->currentMessage() == tr("Reading…"))
            statusBar()->clearMessage(); // not a newer message
    });
    connect(m_session, &ModelSession::modelOpened, this, &MainWindow::onModelOpened);
    connect(m_session, &ModelSession::importanceLoaded, this, &MainWindow::onImportanceLoaded);
    connect(m_session, &ModelSession::failed, this, &MainWindow::showError);
    connect(m_mix, &MixDocument::changed, this, &MainWindow::onMixChanged);
    connect(m_tensors, &TensorPanel::currentTensorChanged, this, [this](int tensor) {
        m_currentTensor = tensor;
        showCurrentTensor();
    });
    connect(m_scanner, &MixErrorScanner::errorReady, m_tensors->tableModel(), &TensorTableModel::setError);
    connect(m_scanner, &MixErrorScanner::progress, this, [this](int done, int total) {
        m_tensors->setStatusText(done < total ? tr("Estimating errors: %1 of %2 tensors").arg(done).arg(total)
                                              : QString());
    });

    updateStatus();
    resize(1440, 900);
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_splitter->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus() {
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open…"), QKeySequence::Open, this, &MainWindow::chooseFileToOpen);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    file->addAction(tr("Load &Importance Matrix…"), this, &MainWindow::chooseImportanceMatrix);
    file->addAction(tr("&Forget Importance Matrix"), m_session, &ModelSession::clearImportance);
    file->addSeparator();
    file->addAction(tr("&Export Preset…"), this, &MainWindow::chooseExportPreset);
    file->addAction(tr("I&mport Preset…"), this, &MainWindow::chooseImportPreset);
    file->addAction(tr("&Copy as llama-quantize Command"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C), this,
                    &MainWindow::copyLlamaQuantizeCommand);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *tools = menuBar()->addMenu(tr("&Tools"));
    tools->addAction(tr("&Quantize…"), QKeySequence(Qt::CTRL | Qt::Key_R), this, &MainWindow::openQuantizeDialog);
    tools->addAction(tr("Quantize &Checked Labels…"), this, &MainWindow::openMultiQuantizeDialog);
    tools->addAction(tr("&Threads…"), this, &MainWindow::chooseThreads);
    m_rulesMenu = tools->addMenu(tr("&Rule Set"));
    auto *rulesGroup = new QActionGroup(this);
    for (qb::RuleSet rules : qb::allRuleSets()) {
        QAction *a = m_rulesMenu->addAction(tr("%1 — %2").arg(QString::fromLatin1(qb::ruleSetName(rules)),
                                                              QString::fromLatin1(qb::ruleSetDescription(rules))));
        a->setCheckable(true);
        a->setData(QString::fromLatin1(qb::ruleSetName(rules)));
        a->setChecked(rules == m_controller->ruleSet());
        rulesGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, rules] { chooseRuleSet(rules); });
    }

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        m_viewMenu->addAction(dock->toggleViewAction());

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About QuantBench"), this, &MainWindow::showAbout);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::openPath(const QString &path) {
    if (isImportanceMatrixFile(path)) {
        m_session->loadImportance(path);
        return;
    }
    m_banner->hide();
    // Absolute now: outputs proposed next to it must not depend on the directory we run in later.
    m_session->open(path.isEmpty() ? path : QFileInfo(path).absoluteFilePath());
}

void MainWindow::chooseFileToOpen() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a GGUF model"), QString(),
                                                      tr("GGUF models (*.gguf);;All files (*)"));
    if (!path.isEmpty()) openPath(path);
}

void MainWindow::chooseImportanceMatrix() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load an importance matrix"), QString(),
                                                      tr("Importance matrices (*.dat *.imatrix);;All files (*)"));
    if (!path.isEmpty()) m_session->loadImportance(path);
}

void MainWindow::chooseThreads() {
    bool ok = false;
    const int n = QInputDialog::getInt(this, tr("Threads"), tr("Threads for analysis and quantization:"), m_threads, 1,
                                       QThread::idealThreadCount() * 4, 1, &ok);
    if (ok) setThreads(n);
}

void MainWindow::setThreads(int threads) {
    m_threads = std::max(1, threads);
    m_histogram->setThreads(m_threads);
    m_chart->setThreads(m_threads);
    if (m_quality) m_quality->setThreads(m_threads);
    QSettings().setValue(QStringLiteral("threads"), m_threads);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, tr("About QuantBench"),
                       tr("<h3>QuantBench %1</h3><p>A workbench for quantizing GGUF language models: see every tensor, "
                          "compare the error of each type, pick or tune a mix, and write files byte-identical to "
                          "llama.cpp's llama-quantize.</p>")
                           .arg(QApplication::applicationVersion()));
}

void MainWindow::onModelOpened() {
    const auto model = m_session->model();
    m_scanner->cancel();
    m_currentTensor = -1;
    m_mix->reset(model);
    m_tensors->setModel(model);
    m_info->setModel(model, m_session->path());
    m_quality->setModelPath(m_session->path());
    onImportanceLoaded();
    addRecentFile(m_session->path());
    setWindowTitle(tr("%1 — QuantBench").arg(QFileInfo(m_session->path()).fileName()));
    showFirstView();
    updateStatus();
    emit modelReady();
}

void MainWindow::onImportanceLoaded() {
    if (!m_session->importance()) {
        m_info->setImportanceSummary(tr("none"));
    } else {
        const int covered = m_session->importanceCoverage();
        const int total = m_session->model() ? int(m_session->model()->tensors().size()) : 0;
        m_info->setImportanceSummary(tr("%1 (covers %2 of %3 tensors)")
                                         .arg(QFileInfo(m_session->importancePath()).fileName())
                                         .arg(covered)
                                         .arg(total));
    }
    estimateLabels();
    // Errors depend on the importance data: recompute what the table and the page show.
    m_histogram->setAnalyzer(m_session->analyzer());
    refreshFitToSize();
    showCurrentTensor();
    m_tensors->tableModel()->clearErrors();
    rescanErrors();
}

QString MainWindow::chooseRuleSet(qb::RuleSet rules) {
    const qb::RuleSet before = m_controller->ruleSet();
    const QString error = m_controller->setRuleSet(rules);
    if (!error.isEmpty())
        showError(
            tr("The current label cannot be kept under rule set %1").arg(QString::fromLatin1(qb::ruleSetName(rules))),
            error);
    else
        QSettings().setValue(QStringLiteral("ruleSet"), QString::fromLatin1(qb::ruleSetName(rules)));
    syncRuleSet();
    // The fit's candidates and labels follow the rule set: its curves are rebuilt under the new one
    // (also when the old one's are still being built, which the new request supersedes).
    if (error.isEmpty() && rules != before && m_session->model()) refreshFitToSize();
    return error;
}

void MainWindow::syncRuleSet() {
    for (QAction *a : m_rulesMenu->actions())
        a->setChecked(a->data().toString() == QString::fromLatin1(qb::ruleSetName(m_controller->ruleSet())));
    updateStatus();
    estimateLabels();
}

void MainWindow::estimateLabels() {
    const auto model = m_session->model();
    if (!model) return;
    m_labelPicker->setSummary(tr("Estimating every label for this model…"));
    m_estimateJobs.start(
        [model, imatrix = m_session->importance(), rules = m_controller->ruleSet()] {
            return MixController::estimateLabels(*model, imatrix.get(), rules);
        },
        [this](const std::vector<LabelEstimate> &estimates) {
            m_labelModel->setEstimates(estimates);
            m_chart->setLabels(m_session->analyzer(), estimates);
            m_labelModel->setCurrentLabel(m_mix->label());
            const auto available =
                std::count_if(estimates.begin(), estimates.end(), [](const auto &e) { return e.available; });
            m_labelPicker->setSummary(
                tr("%1 of %2 labels apply to this model%3. Click one to apply its mix.")
                    .arg(available)
                    .arg(estimates.size())
                    .arg(m_session->importance() ? QString() : tr(" (the others need an importance matrix)")));
            emit labelsEstimated();
        });
}

QString MainWindow::chooseLabel(const QString &name) {
    const QString error = m_controller->chooseLabel(name);
    if (!error.isEmpty()) showError(tr("Label %1 cannot be used for this model").arg(name), error);
    return error;
}

QString MainWindow::exportPreset(const QString &path) {
    const QString error = m_controller->exportPreset(path);
    if (!error.isEmpty())
        showError(tr("Could not export the preset"), error);
    else
        statusBar()->showMessage(tr("Preset saved to %1").arg(path), 5000);
    return error;
}

QString MainWindow::importPreset(const QString &path) {
    const QString error = m_controller->importPreset(path);
    if (!error.isEmpty())
        showError(tr("Could not import the preset %1").arg(QFileInfo(path).fileName()), error);
    else {
        statusBar()->showMessage(tr("Preset %1 applied").arg(QFileInfo(path).fileName()), 5000);
        syncRuleSet(); // the preset's rule set is now the mix's
    }
    return error;
}

void MainWindow::chooseExportPreset() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export preset"), QString(), tr("Presets (*.json)"));
    if (!path.isEmpty()) exportPreset(path);
}

void MainWindow::chooseImportPreset() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Import preset"), QString(), tr("Presets (*.json)"));
    if (!path.isEmpty()) importPreset(path);
}

QString MainWindow::suggestedOutputPath() const {
    return defaultOutputPath(kQuantizeFolderKey, m_session->path(), m_mix->label());
}

QuantizeDialog *MainWindow::openQuantizeDialog() {
    QString error;
    auto plan = m_controller->buildPlan(&error);
    if (!plan) {
        showError(tr("Cannot quantize yet"), error);
        return nullptr;
    }
    auto *dialog = new QuantizeDialog(m_session->model(), std::move(*plan), m_mix->displayName(), suggestedOutputPath(),
                                      m_threads, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QuantizeDialog::openResult, this, &MainWindow::openPath);
    dialog->show();
    return dialog;
}

MultiQuantizeDialog *MainWindow::openMultiQuantizeDialog() {
    const QStringList labels = m_labelModel->checkedLabels();
    const auto model = m_session->model();
    if (!model || labels.isEmpty()) {
        showError(tr("Nothing to quantize"), tr("Tick the labels to write in the label list first."));
        return nullptr;
    }
    const auto imatrix = m_session->importance();
    auto plans = buildLabelPlans(*model, labels, imatrix, m_session->importancePath(), m_controller->ruleSet());
    QString modelName = QFileInfo(m_session->path()).fileName();
    if (modelName.endsWith(QStringLiteral(".gguf"))) modelName.chop(5);
    auto *dialog =
        new MultiQuantizeDialog(model, std::move(plans), modelName,
                                defaultOutputFolder(kQuantizeCheckedFolderKey, m_session->path()), m_threads, this);
    dialog->setPresetPlanner([model, imatrix, path = m_session->importancePath()](const QString &preset) {
        return buildPresetPlan(*model, preset, imatrix, path);
    });
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

void MainWindow::copyLlamaQuantizeCommand() {
    const QString out = suggestedOutputPath();
    const QString command = m_controller->llamaQuantizeCommand(out);
    if (command.isEmpty()) {
        showError(tr("Nothing to copy"), tr("Choose a label first."));
        return;
    }
    QGuiApplication::clipboard()->setText(command);
    statusBar()->showMessage(tr("Copied: %1").arg(command), 8000);
}

void MainWindow::showCurrentTensor() {
    if (m_currentTensor < 0 || m_currentTensor >= m_mix->tensorCount()) return;
    m_histogram->showTensor(m_currentTensor, m_mix->chosenType(m_currentTensor));
}

void MainWindow::onMixChanged(const QList<int> &tensors) {
    updateStatus();
    if (m_mix->overrides() != m_fitPins) refreshFitToSize(); // the user's overrides are the fit's pins
    if (m_mix->tensorCount() > 0) m_chart->setCurrentMix(m_mix->displayName(), m_mix->entries());
    if (tensors.contains(m_currentTensor)) showCurrentTensor();
    // A burst of edits (e.g. an override on 200 tensors) becomes one rescan.
    if (m_rescanQueued) return;
    m_rescanQueued = true;
    QTimer::singleShot(0, this, [this] {
        m_rescanQueued = false;
        rescanErrors();
    });
}

void MainWindow::rescanErrors() {
    if (!m_session->analyzer() || m_mix->tensorCount() == 0) return;
    m_scanner->scan(m_session->analyzer(), m_mix->entries(), 1);
}

void MainWindow::updateStatus() {
    const qb::RuleSet rules = m_controller->ruleSet();
    m_rulesStatus->setText(tr("Rules: %1").arg(QString::fromLatin1(qb::ruleSetName(rules))));
    m_rulesStatus->setToolTip(
        tr("The mix follows %1 (Tools ▸ Rule Set)").arg(QString::fromLatin1(qb::ruleSetDescription(rules))));
    const auto model = m_session->model();
    if (!model) {
        m_modelStatus->setText(tr("Open a GGUF model (Ctrl+O) or drop one on the window."));
        m_mixStatus->clear();
        return;
    }
    m_modelStatus->setText(tr("%1 · %2 parameters · %3")
                               .arg(QFileInfo(m_session->path()).fileName(), formatCount(model->parameterCount()),
                                    formatBytes(model->totalFileSize())));
    m_mixStatus->setText(tr("Mix: %1 → %2, %3 bpw")
                             .arg(m_mix->displayName(), formatBytes(m_mix->totalBytesAfter()))
                             .arg(m_mix->bitsPerWeightAfter(), 0, 'f', 2));
}

void MainWindow::addRecentFile(const QString &path) {
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recentFiles")).toStringList();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > kMaxRecentFiles)
        recent.removeLast();
    settings.setValue(QStringLiteral("recentFiles"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recentFiles")).toStringList();
    for (const QString &path : recent) {
        m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { openPath(path); })->setToolTip(path);
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
    m_recentMenu->setToolTipsVisible(true);
}

void MainWindow::showError(const QString &what, const QString &details) {
    m_banner->showError(what, details);
    statusBar()->showMessage(what, 5000);
}

void MainWindow::closeEvent(QCloseEvent *event) {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
    m_scanner->cancel();
    m_chart->cancel();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event) {
    if (!classifyDroppedUrls(event->mimeData()->urls()).empty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event) {
    // A model and its importance matrix may be dropped together: open the model first.
    const DroppedFiles files = classifyDroppedUrls(event->mimeData()->urls());
    if (files.empty()) return;
    event->acceptProposedAction();
    if (!files.models.isEmpty()) openPath(files.models.first());
    for (const QString &m : files.matrices)
        openPath(m);
    if (files.models.size() > 1)
        statusBar()->showMessage(tr("Opening %1; the other %n dropped model(s) were not opened (one model at a time).",
                                    nullptr, int(files.models.size() - 1))
                                     .arg(QFileInfo(files.models.first()).fileName()),
                                 10000);
}

} // namespace qbui
