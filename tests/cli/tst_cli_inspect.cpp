// quantbench-cli inspect, run as a process: a single file and a split set opened from any part
// (every tensor, the part count and the total size), and a clear error for a missing part.
// The executable is looked up next to this test (both are built into the same bin folder).
#include "cli_process.h"
#include "golden.h"
#include "split_set.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

using Run = qbtest::CliRun;
using qbtest::runCli;

QString str(const std::filesystem::path &p) { return QString::fromStdString(p.string()); }

} // namespace

class TestCliInspect : public QObject {
    Q_OBJECT
private slots:
    void singleFile();
    void splitSet_data();
    void splitSet();
    void missingPart();
};

void TestCliInspect::singleFile() {
    const Run r = runCli({QStringLiteral("inspect"), str(qbtest::golden("models/tiny.f16.gguf"))});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains(QLatin1String("\n21 tensors, 1246464 parameters")));
    QVERIFY(r.out.contains(QLatin1String("file 2497216 bytes")));
    QVERIFY(!r.out.contains(QLatin1String("Split set")));
}

void TestCliInspect::splitSet_data() {
    QTest::addColumn<int>("openPart");
    QTest::newRow("first") << 0;
    QTest::newRow("middle") << 1;
    QTest::newRow("last") << 2;
}

void TestCliInspect::splitSet() {
    QFETCH(int, openPart);
    const auto tiny = qb::GgufFile::open(qbtest::golden("models/tiny.f16.gguf"));
    QTemporaryDir dir;
    const auto paths = qbtest::writeSplitSet(*tiny, dir.path().toStdString(), "tiny", 3);
    qint64 total = 0;
    for (const auto &p : paths) total += qint64(std::filesystem::file_size(p));

    const Run text = runCli({QStringLiteral("inspect"), str(paths[size_t(openPart)])});
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(text.out.startsWith(QStringLiteral("Split set of 3 files, %1 bytes in total").arg(total)),
             qPrintable(text.out.left(200)));
    for (const auto &t : tiny->tensors()) QVERIFY2(text.out.contains(QString::fromStdString(t.name)), t.name.c_str());
    QVERIFY(text.out.contains(QStringLiteral("\n21 tensors, 1246464 parameters")));
    QVERIFY(text.out.contains(QStringLiteral("3 files, %1 bytes").arg(total)));

    const Run json = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), str(paths[size_t(openPart)])});
    QCOMPARE(json.exitCode, 0);
    const QJsonObject doc = QJsonDocument::fromJson(json.out.toUtf8()).object();
    QCOMPARE(doc.value(QLatin1String("split_count")).toInt(), 3);
    QCOMPARE(doc.value(QLatin1String("file_size")).toInteger(), total);
    QCOMPARE(doc.value(QLatin1String("splits")).toArray().size(), 3);
    const QJsonArray tensors = doc.value(QLatin1String("tensors")).toArray();
    QCOMPARE(tensors.size(), 21);
    QCOMPARE(tensors.last().toObject().value(QLatin1String("split")).toInt(), 2);
}

void TestCliInspect::missingPart() {
    const auto tiny = qb::GgufFile::open(qbtest::golden("models/tiny.f16.gguf"));
    QTemporaryDir dir;
    const auto paths = qbtest::writeSplitSet(*tiny, dir.path().toStdString(), "tiny", 3);
    std::filesystem::remove(paths[2]);
    const Run r = runCli({QStringLiteral("inspect"), str(paths[0])});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(str(paths[2]) + QLatin1String("' is missing")), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestCliInspect)
#include "tst_cli_inspect.moc"
