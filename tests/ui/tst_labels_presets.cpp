// Labels, overrides and presets through the window: every label is listed with its size,
// choosing Q4_K_M gives exactly llama-quantize's types, overrides change the estimate and the
// reason, a preset round-trips, a bad preset is refused with a message naming the problem.
#include "golden.h"
#include "window_setup.h"

#include "error_banner.h"
#include "label_picker.h"
#include "label_table_model.h"
#include "main_window.h"
#include "mix_controller.h"
#include "mix_document.h"
#include "model_session.h"
#include "tensor_panel.h"
#include "tensor_table_model.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

class TestLabelsPresets : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void labelsListedWithSizes();
    void q4kmMatchesLlamaQuantize();
    void overrideChangesEstimateAndReason();
    void presetRoundTrip();
    void badPresetIsRefused();
    void presetForAnotherModelIsRefused();

private:
    void openModel(qbui::MainWindow &window, const char *relative);
    // The b4748 rules (these tests compare with the golden files of llama.cpp b4748), llama256.f16
    // opened, Q4_K_M chosen: chooseLabel's error, empty when it applied.
    QString openLlamaWithQ4KM(qbui::MainWindow &window);
};

namespace {

QJsonObject goldenMix(const char *relative) {
    QFile f(QString::fromStdString(qbtest::golden(relative).string()));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace

void TestLabelsPresets::initTestCase() {
    qbtest::useTestSettings();
}

void TestLabelsPresets::openModel(qbui::MainWindow &window, const char *relative) {
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    QSignalSpy estimated(&window, &qbui::MainWindow::labelsEstimated);
    window.openPath(QString::fromStdString(qbtest::golden(relative).string()));
    QVERIFY(ready.wait(20000));
    QVERIFY(estimated.count() > 0 || estimated.wait(20000));
}

QString TestLabelsPresets::openLlamaWithQ4KM(qbui::MainWindow &window) {
    window.chooseRuleSet(qb::RuleSet::B4748);
    openModel(window, "models/llama256.f16.gguf");
    return window.chooseLabel(QStringLiteral("Q4_K_M"));
}

void TestLabelsPresets::labelsListedWithSizes() {
    qbui::MainWindow window;
    window.chooseRuleSet(qb::RuleSet::B4748); // these tests compare with the golden files of llama.cpp b4748
    window.show();
    QAbstractItemModelTester tester(window.labelModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    openModel(window, "models/llama256.f16.gguf");
    auto *labels = window.labelModel();
    QVERIFY(labels->rowCount() >= 30);
    const int row = labels->rowOf(QStringLiteral("Q4_K_M"));
    QVERIFY(row >= 0);
    QVERIFY(!labels->index(row, qbui::LabelTableModel::Description).data().toString().isEmpty());
    // The estimate is the sum of the tensor sizes llama-quantize wrote.
    const QJsonObject golden = goldenMix("mixes/llama256.f16/Q4_K_M.json");
    qulonglong bytes = 0;
    for (const auto &t : golden.value(QStringLiteral("tensors")).toArray())
        bytes += qulonglong(t.toObject().value(QStringLiteral("bytes")).toDouble());
    QVERIFY(bytes > 0);
    QCOMPARE(labels->index(row, qbui::LabelTableModel::Size).data(qbui::LabelTableModel::SortRole).toULongLong(), bytes);
    // Without an importance matrix the very-low-bit labels are refused, listed with the reason.
    const int iq1 = labels->rowOf(QStringLiteral("IQ1_S"));
    QVERIFY(iq1 >= 0);
    QCOMPARE(labels->flags(labels->index(iq1, 0)), Qt::NoItemFlags);
    QVERIFY(!labels->index(iq1, 0).data(Qt::ToolTipRole).toString().isEmpty());

    // Clicking a label in the picker applies it.
    QTableView *view = window.labelPicker()->view();
    const QRect rect = view->visualRect(labels->index(row, 0));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(window.mix()->label(), QStringLiteral("Q4_K_M"));
}

void TestLabelsPresets::q4kmMatchesLlamaQuantize() {
    qbui::MainWindow window;
    QCOMPARE(openLlamaWithQ4KM(window), QString());
    auto *table = window.tensorPanel()->tableModel();
    QAbstractItemModelTester tester(table, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QJsonArray tensors = goldenMix("mixes/llama256.f16/Q4_K_M.json").value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), table->rowCount());
    QHash<QString, QString> expected;
    for (const auto &t : tensors)
        expected.insert(t.toObject().value(QStringLiteral("name")).toString(), t.toObject().value(QStringLiteral("type")).toString());
    for (int r = 0; r < table->rowCount(); ++r) {
        const QString name = table->index(r, qbui::TensorTableModel::Name).data().toString();
        QVERIFY2(expected.contains(name), qPrintable(name));
        QCOMPARE(table->index(r, qbui::TensorTableModel::ChosenType).data().toString(), expected.value(name).toUpper());
        QVERIFY(!table->index(r, qbui::TensorTableModel::Reason).data().toString().isEmpty());
    }
    QCOMPARE(window.labelModel()->index(window.labelModel()->rowOf(QStringLiteral("Q4_K_M")), 0).data(Qt::FontRole).value<QFont>().bold(), true);
}

void TestLabelsPresets::overrideChangesEstimateAndReason() {
    qbui::MainWindow window;
    QCOMPARE(openLlamaWithQ4KM(window), QString());
    auto *mix = window.mix();
    const auto model = window.session()->model();
    // "Select all ffn_down, set type": every ffn_down becomes Q8_0.
    QList<int> ffnDown;
    for (int i = 0; i < int(model->tensors().size()); ++i)
        if (model->tensors()[size_t(i)].info->name.find("ffn_down") != std::string::npos) ffnDown.append(i);
    uint64_t expected = mix->totalBytesAfter();
    for (int t : ffnDown) {
        const auto &info = *model->tensors()[size_t(t)].info;
        expected -= mix->bytesAfter(t);
        expected += uint64_t(info.rows()) * uint64_t(info.rowLength() / 32 * 34);
    }
    QVERIFY(mix->setOverride(ffnDown, qb::GgmlType::Q8_0));
    QCOMPARE(mix->totalBytesAfter(), expected);
    auto *table = window.tensorPanel()->tableModel();
    for (int t : ffnDown) {
        QCOMPARE(table->index(t, qbui::TensorTableModel::ChosenType).data().toString(), QStringLiteral("Q8_0"));
        QCOMPARE(table->index(t, qbui::TensorTableModel::Reason).data().toString(), QStringLiteral("your override"));
    }
    // Norms are never quantized by the rules: an override there is refused.
    const int norm = int(model->findTensor("blk.0.attn_norm.weight") - model->tensors().data());
    QVERIFY(!mix->setOverride({norm}, qb::GgmlType::Q8_0));
    // Overrides survive a change of label.
    QCOMPARE(window.chooseLabel(QStringLiteral("Q5_K_M")), QString());
    QCOMPARE(mix->chosenType(ffnDown.first()), qb::GgmlType::Q8_0);
    mix->clearAllOverrides();
    QVERIFY(mix->chosenType(ffnDown.first()) != qb::GgmlType::Q8_0);
}

void TestLabelsPresets::presetRoundTrip() {
    qbui::MainWindow window;
    QCOMPARE(openLlamaWithQ4KM(window), QString());
    auto *mix = window.mix();
    const auto model = window.session()->model();
    const int t = int(model->findTensor("blk.2.attn_q.weight") - model->tensors().data());
    QVERIFY(mix->setOverride({t}, qb::GgmlType::Q6_K));
    std::vector<qb::GgmlType> before;
    for (int i = 0; i < mix->tensorCount(); ++i) before.push_back(mix->chosenType(i));

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("mix.json"));
    QCOMPARE(window.exportPreset(path), QString());
    const QString command = window.controller()->llamaQuantizeCommand(QStringLiteral("out.gguf"));
    QVERIFY2(command.contains(QLatin1String("--tensor-type")) && command.contains(QLatin1String("Q4_K_M")), qPrintable(command));

    // Change everything, then import: the same label, the same override, the same types.
    QCOMPARE(window.chooseLabel(QStringLiteral("Q2_K")), QString());
    mix->clearAllOverrides();
    QCOMPARE(window.importPreset(path), QString());
    QCOMPARE(mix->label(), QStringLiteral("Q4_K_M"));
    QVERIFY(mix->isOverridden(t));
    QCOMPARE(mix->overrideCount(), 1);
    for (int i = 0; i < mix->tensorCount(); ++i) QCOMPARE(mix->chosenType(i), before[size_t(i)]);
}

void TestLabelsPresets::badPresetIsRefused() {
    qbui::MainWindow window;
    QCOMPARE(openLlamaWithQ4KM(window), QString());
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format": "quantbench-preset", "version": 1, "base_label": "Q4_K_M", "tensor_types": {"blk.0.attn_q.weight": "Q9_K"}})");
    f.close();
    const QString error = window.importPreset(path);
    QVERIFY2(error.contains(QLatin1String("Q9_K")), qPrintable(error));
    QVERIFY(window.banner()->text().contains(QLatin1String("bad.json")));
    // Nothing changed, and the window still works.
    QCOMPARE(window.mix()->label(), QStringLiteral("Q4_K_M"));
    QCOMPARE(window.chooseLabel(QStringLiteral("Q5_K_S")), QString());
}

void TestLabelsPresets::presetForAnotherModelIsRefused() {
    // A valid preset made for a model with more layers: refused whole, naming the tensor,
    // the mix and its overrides unchanged, the window still usable.
    qbui::MainWindow window;
    window.chooseRuleSet(qb::RuleSet::B4748); // these tests compare with the golden files of llama.cpp b4748
    openModel(window, "models/tiny.f16.gguf");
    QCOMPARE(window.chooseLabel(QStringLiteral("Q5_K_M")), QString());
    const uint64_t before = window.mix()->totalBytesAfter();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("other.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format": "quantbench-preset", "version": 1, "base_label": "Q4_K_M",
               "tensor_types": {"blk.0.ffn_up.weight": "Q8_0", "blk.7.ffn_up.weight": "Q8_0"}})");
    f.close();
    const QString error = window.importPreset(path);
    QVERIFY2(error.contains(QLatin1String("other.json")) && error.contains(QLatin1String("blk.7.ffn_up.weight")) &&
                 error.contains(QLatin1String("does not have")),
             qPrintable(error));
    QVERIFY(window.banner()->text().contains(QLatin1String("other.json")));
    QCOMPARE(window.mix()->label(), QStringLiteral("Q5_K_M"));
    QCOMPARE(window.mix()->totalBytesAfter(), before);
    for (int i = 0; i < window.mix()->tensorCount(); ++i) QVERIFY(!window.mix()->isOverridden(i));
    QCOMPARE(window.chooseLabel(QStringLiteral("Q8_0")), QString());
}

QTEST_MAIN(TestLabelsPresets)
#include "tst_labels_presets.moc"
