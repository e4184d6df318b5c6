// quantbench-cli, run as a process, on patterns std::regex cannot be trusted with: every place a
// pattern enters (quantize --tensor-type, --tensor-type-file, --preset rules, analyze --tensor)
// ends with exit code 2 and a message naming the pattern and where it came from, writes nothing,
// and returns at once (no hang, no stack overflow).
#include "cli_process.h"
#include "golden.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

using Run = qbtest::CliRun;
using qbtest::runCli;

QString model() { return QString::fromStdString(qbtest::golden("models/tiny.f16.gguf").string()); }

void writeFile(const QString &path, const QByteArray &bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

} // namespace

class TestCliPatterns : public QObject {
    Q_OBJECT
  private slots:
    void refusedPatterns_data();
    void refusedPatterns();
    void acceptedPatternStillWorks();

  private:
    QTemporaryDir m_dir;
};

void TestCliPatterns::refusedPatterns_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QString out = m_dir.filePath(QStringLiteral("out.gguf"));
    const QString deep = QString(5000, QLatin1Char('(')) + QLatin1Char('a') + QString(5000, QLatin1Char(')'));

    QTest::newRow("--tensor-type count")
        << QStringList{QStringLiteral("quantize"),
                       model(),
                       out,
                       QStringLiteral("Q4_0"),
                       QStringLiteral("--tensor-type"),
                       QStringLiteral("a{99999999}=q8_0")}
        << QStringLiteral("error: --tensor-type: pattern 'a{99999999}' repeats 99999999 times, more than 63");
    QTest::newRow("--tensor-type backtracking")
        << QStringList{QStringLiteral("quantize"),
                       model(),
                       out,
                       QStringLiteral("Q4_0"),
                       QStringLiteral("--tensor-type"),
                       QStringLiteral("((a*){60}){60}b=q8_0")}
        << QStringLiteral("error: --tensor-type: pattern '((a*){60}){60}b' is too complex");

    const QString file = m_dir.filePath(QStringLiteral("types.txt"));
    writeFile(file, "attn_v=q8_0\n" + deep.toLatin1().left(1000) + "=q4_0\n");
    QTest::newRow("--tensor-type-file nesting")
        << QStringList{QStringLiteral("quantize"),           model(), out, QStringLiteral("Q4_0"),
                       QStringLiteral("--tensor-type-file"), file}
        << QStringLiteral("error: --tensor-type-file %1: pattern '((((").arg(file);

    const QString preset = m_dir.filePath(QStringLiteral("p.json"));
    writeFile(preset, R"({"format":"quantbench-preset","version":1,"base_label":"Q4_0",)"
                      R"("rules":[{"pattern":"ffn","type":"Q8_0"},{"pattern":"x{64,}","type":"Q8_0"}]})");
    QTest::newRow("--preset rule")
        << QStringList{QStringLiteral("quantize"), model(), out, QStringLiteral("--preset"), preset}
        << QStringLiteral("error: %1: rules[1].pattern: pattern 'x{64,}' repeats 64 times").arg(preset);

    QTest::newRow("analyze --tensor") << QStringList{QStringLiteral("analyze"), model(), QStringLiteral("--tensor"),
                                                     deep}
                                      << QStringLiteral("error: --tensor: pattern '((((");
}

void TestCliPatterns::refusedPatterns() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QElapsedTimer timer;
    timer.start();
    const Run r = runCli(args);
    QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.err)));
    QVERIFY2(r.err.startsWith(message), qPrintable(r.err));
    QVERIFY2(timer.elapsed() < 30000, "took too long");
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("out.gguf"))));
}

void TestCliPatterns::acceptedPatternStillWorks() {
    const Run r = runCli({QStringLiteral("quantize"), model(), m_dir.filePath(QStringLiteral("out.gguf")),
                          QStringLiteral("Q4_0"), QStringLiteral("--tensor-type"),
                          QStringLiteral("^blk\\.[0-9]+\\.(attn_v|ffn_down)=q8_0"), QStringLiteral("--dry-run")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestCliPatterns)
#include "tst_cli_patterns.moc"
