// The window opens models in the background, shows every tensor and the metadata, filters the
// table, reports a malformed file in the banner and keeps working afterwards.
#include "golden.h"
#include "window_setup.h"

#include "error_banner.h"
#include "main_window.h"
#include "mix_document.h"
#include "model_info_panel.h"
#include "model_session.h"
#include "tensor_filter_proxy.h"
#include "tensor_panel.h"
#include "tensor_table_model.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void opensGoldenModel();
    void filtersByNameAndLayer();
    void metadataTreeExpandsArraysLazily();
    void malformedFileShowsErrorAndWindowKeepsWorking_data();
    void malformedFileShowsErrorAndWindowKeepsWorking();
    void overrideChangesSizeEstimate();
    void importanceMatrixIsLoadedAndShown();
};

namespace {

using qbtest::goldenPath;
using qbtest::openAndWait;

} // namespace

void TestMainWindow::initTestCase() {
    qbtest::useTestSettings();
}

void TestMainWindow::opensGoldenModel() {
    qbui::MainWindow window;
    window.show();
    QVERIFY(openAndWait(window, goldenPath("models/llama256.f16.gguf")));
    auto *table = window.tensorPanel()->tableModel();
    QAbstractItemModelTester tableTester(table, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(window.tensorPanel()->proxy(),
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);

    const auto reference = qb::GgufFile::open(qbtest::golden("models/llama256.f16.gguf"));
    QCOMPARE(table->rowCount(), int(reference->tensors().size()));
    QCOMPARE(window.mix()->label(), QString::fromLatin1(qbui::MainWindow::kDefaultLabel));
    for (int r = 0; r < table->rowCount(); ++r) {
        const auto &info = reference->tensors()[size_t(r)];
        QCOMPARE(table->index(r, qbui::TensorTableModel::Name).data().toString(), QString::fromStdString(info.name));
        QCOMPARE(table->index(r, qbui::TensorTableModel::StoredType).data().toString(),
                 QString::fromLatin1(qb::typeName(info.type)).toUpper());
        QCOMPARE(table->index(r, qbui::TensorTableModel::Parameters).data(qbui::TensorTableModel::SortRole).toLongLong(),
                 info.elements());
        QCOMPARE(table->index(r, qbui::TensorTableModel::SizeNow).data(qbui::TensorTableModel::SortRole).toULongLong(),
                 info.nbytes);
        // The default label's mix, applied on opening, is what the chosen-type column shows.
        QCOMPARE(table->index(r, qbui::TensorTableModel::ChosenType).data().toString(),
                 QString::fromLatin1(qb::typeName(window.mix()->chosenType(r))).toUpper());
    }
    QCOMPARE(window.infoPanel()->field(QStringLiteral("Architecture")), QStringLiteral("llama"));
    QCOMPARE(window.infoPanel()->field(QStringLiteral("Tensors")), QString::number(reference->tensors().size()));
    QCOMPARE(window.infoPanel()->field(QStringLiteral("File type")), QStringLiteral("F16"));

    // Sorting by size uses the numeric role: the largest tensor comes first when descending.
    auto *proxy = window.tensorPanel()->proxy();
    proxy->sort(qbui::TensorTableModel::SizeNow, Qt::DescendingOrder);
    const qulonglong first = proxy->index(0, qbui::TensorTableModel::SizeNow).data(qbui::TensorTableModel::SortRole).toULongLong();
    for (int r = 1; r < proxy->rowCount(); ++r)
        QVERIFY(proxy->index(r, qbui::TensorTableModel::SizeNow).data(qbui::TensorTableModel::SortRole).toULongLong() <= first);
}

void TestMainWindow::filtersByNameAndLayer() {
    qbui::MainWindow window;
    QVERIFY(openAndWait(window, goldenPath("models/llama256.f16.gguf")));
    auto *proxy = window.tensorPanel()->proxy();
    const int total = proxy->rowCount();
    const auto model = window.session()->model();
    int layers = 0;
    for (const auto &t : model->tensors())
        if (t.info->name.find("ffn_down") != std::string::npos) ++layers;

    // The filter box applies after its debounce delay.
    window.tensorPanel()->filterEdit()->setText(QStringLiteral("ffn_down"));
    QCOMPARE(proxy->rowCount(), total);
    QTRY_COMPARE(proxy->rowCount(), layers);
    window.tensorPanel()->filterEdit()->setText(QStringLiteral("blk.[0-1].ffn_*"));
    QTRY_COMPARE(proxy->rowCount(), 8);  // gate, up, down, norm in two layers
    window.tensorPanel()->filterEdit()->clear();
    QTRY_COMPARE(proxy->rowCount(), total);

    proxy->setLayerRange(1, 1);
    for (int r = 0; r < proxy->rowCount(); ++r)
        QVERIFY(proxy->index(r, 0).data().toString().startsWith(QLatin1String("blk.1.")));
    QVERIFY(proxy->rowCount() > 0);
    proxy->setLayerRange(qbui::TensorFilterProxy::kOutsideLayers, qbui::TensorFilterProxy::kOutsideLayers);
    QCOMPARE(proxy->rowCount(), 3);  // token_embd, output_norm, output
}

void TestMainWindow::metadataTreeExpandsArraysLazily() {
    qbui::MainWindow window;
    QVERIFY(openAndWait(window, goldenPath("models/stories260K.f32.gguf")));
    QTreeWidget *tree = window.infoPanel()->tree();
    QTreeWidgetItem *tokens = nullptr;
    for (int i = 0; i < tree->topLevelItemCount(); ++i)
        if (tree->topLevelItem(i)->text(0) == QLatin1String("tokenizer.ggml.tokens")) tokens = tree->topLevelItem(i);
    QVERIFY(tokens);
    QVERIFY(tokens->text(1).contains(QLatin1String("512")));
    QCOMPARE(tokens->childCount(), 0);  // nothing built before expansion
    tokens->setExpanded(true);
    QCOMPARE(tokens->childCount(), qbui::ModelInfoPanel::kPageSize + 1);  // a page and "… more"
    QCOMPARE(tokens->child(0)->text(0), QStringLiteral("[0]"));
}

void TestMainWindow::malformedFileShowsErrorAndWindowKeepsWorking_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("not gguf") << QByteArray("this is not a model at all, just text");
    QByteArray truncated;
    QFile golden(goldenPath("models/tiny.f16.gguf"));
    QVERIFY(golden.open(QIODevice::ReadOnly));
    truncated = golden.read(100);
    QTest::newRow("truncated header") << truncated;
    QByteArray hugeCount("GGUF", 4);
    hugeCount.append(QByteArray::fromHex("03000000" "ffffffffffffff7f" "ffffffffffffff7f"));
    QTest::newRow("absurd counts") << hugeCount;
}

void TestMainWindow::malformedFileShowsErrorAndWindowKeepsWorking() {
    QFETCH(QByteArray, bytes);
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("bad.gguf"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
    f.close();

    qbui::MainWindow window;
    window.show();
    QSignalSpy failed(window.session(), &qbui::ModelSession::failed);
    window.openPath(bad);
    QVERIFY(failed.wait(10000));
    QVERIFY2(window.banner()->text().contains(QLatin1String("bad.gguf")), qPrintable(window.banner()->text()));
    QVERIFY(!window.session()->hasModel());
    QCOMPARE(window.tensorPanel()->tableModel()->rowCount(), 0);

    // The window still works: a good model opens and the banner goes away.
    QVERIFY(openAndWait(window, goldenPath("models/tiny.f16.gguf")));
    QVERIFY(window.banner()->text().isEmpty());
    QVERIFY(window.tensorPanel()->tableModel()->rowCount() > 0);
}

void TestMainWindow::overrideChangesSizeEstimate() {
    qbui::MainWindow window;
    QVERIFY(openAndWait(window, goldenPath("models/llama256.f16.gguf")));
    auto *mix = window.mix();
    auto *table = window.tensorPanel()->tableModel();
    const auto model = window.session()->model();
    const int t = int(model->findTensor("blk.0.ffn_down.weight") - model->tensors().data());
    const auto &info = *model->tensors()[size_t(t)].info;
    const uint64_t before = mix->totalBytesAfter();
    // The default label's mix is applied on opening: the override replaces that tensor's size in it.
    QCOMPARE(mix->label(), QString::fromLatin1(qbui::MainWindow::kDefaultLabel));
    const uint64_t beforeTensor = mix->bytesAfter(t);
    QVERIFY(beforeTensor < info.nbytes);

    // The in-cell editor path: setData on the chosen-type column becomes an override.
    QVERIFY(table->setData(table->index(t, qbui::TensorTableModel::ChosenType), QStringLiteral("Q8_0")));
    QVERIFY(mix->isOverridden(t));
    QCOMPARE(table->index(t, qbui::TensorTableModel::Reason).data().toString(), QStringLiteral("your override"));
    const uint64_t q8 = uint64_t(info.rows()) * uint64_t(info.rowLength() / 32 * 34);
    QCOMPARE(table->index(t, qbui::TensorTableModel::SizeAfter).data(qbui::TensorTableModel::SortRole).toULongLong(), q8);
    QCOMPARE(mix->totalBytesAfter(), before - beforeTensor + q8);
    QVERIFY(table->index(t, 0).data(Qt::BackgroundRole).isValid());

    mix->clearOverrides({t});
    QVERIFY(!mix->isOverridden(t));
    QCOMPARE(mix->totalBytesAfter(), before);
}

void TestMainWindow::importanceMatrixIsLoadedAndShown() {
    qbui::MainWindow window;
    QVERIFY(openAndWait(window, goldenPath("models/llama256.f16.gguf")));
    QCOMPARE(window.infoPanel()->field(QStringLiteral("Importance")), QStringLiteral("none"));
    QSignalSpy loaded(window.session(), &qbui::ModelSession::importanceLoaded);
    // A .dat file given to openPath (menu, drop or command line) is an importance matrix.
    window.openPath(goldenPath("imatrix/llama256.f16.imatrix.dat"));
    QVERIFY(loaded.wait(10000));
    QVERIFY(window.session()->importance());
    const int covered = window.session()->importanceCoverage();
    QVERIFY(covered > 0);
    const QString shown = window.infoPanel()->field(QStringLiteral("Importance"));
    QVERIFY2(shown.contains(QStringLiteral("covers %1 of %2").arg(covered).arg(window.session()->model()->tensors().size())),
             qPrintable(shown));
    QVERIFY(window.session()->analyzer()->hasImportance());
    // A broken matrix is reported and the loaded one stays.
    QTemporaryDir dir;
    QFile bad(dir.filePath(QStringLiteral("broken.dat")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("\x05\x00\x00\x00garbage");
    bad.close();
    QSignalSpy failed(window.session(), &qbui::ModelSession::failed);
    window.openPath(bad.fileName());
    QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 60000);
    QVERIFY(window.banner()->text().contains(QLatin1String("broken.dat")));
    QVERIFY(window.session()->importance());

    // A matrix made for another model (llama288's, 288 columns per entry) is refused with the
    // entry named, and the loaded one stays.
    const QString loadedPath = window.session()->importancePath();
    failed.clear();
    window.openPath(goldenPath("imatrix/llama288.f32.imatrix.dat"));
    QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 60000);
    const QString details = failed.first().at(1).toString();
    QVERIFY2(details.contains(QLatin1String("llama288.f32.imatrix.dat")) &&
                 details.contains(QLatin1String("not made for this model")),
             qPrintable(details));
    QVERIFY(window.banner()->text().contains(QLatin1String("llama288.f32.imatrix.dat")));
    QCOMPARE(window.session()->importancePath(), loadedPath);

    // Opening another model drops a matrix that does not fit it.
    QVERIFY(openAndWait(window, goldenPath("models/llama288.f32.gguf")));
    QVERIFY(!window.session()->importance());
    QCOMPARE(window.infoPanel()->field(QStringLiteral("Importance")), QStringLiteral("none"));
}

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
