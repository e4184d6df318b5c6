// Importance matrices with negative or non-finite values stay refused (llama.cpp loads them
// silently), and the message says which value and why, for both file formats.
#include "error.h"
#include "imatrix/importance_matrix.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <vector>

namespace {

// A legacy .dat: entry count, then per entry name length, name, ncall, nval, values.
std::string writeDat(const QTemporaryDir &dir, const std::vector<float> &values) {
    std::string bytes;
    auto i32 = [&](int32_t v) { bytes.append(reinterpret_cast<const char *>(&v), 4); };
    i32(1);
    i32(8);
    bytes += "weight.w";
    i32(1);
    i32(int32_t(values.size()));
    bytes.append(reinterpret_cast<const char *>(values.data()), values.size() * 4);
    const std::string path = dir.filePath(QStringLiteral("m.dat")).toStdString();
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
}

} // namespace

class TestImatrixValues : public QObject {
    Q_OBJECT
private slots:
    void refusedWithReason_data();
    void refusedWithReason();
    void validValuesLoad();
};

void TestImatrixValues::refusedWithReason_data() {
    QTest::addColumn<float>("bad");
    QTest::addColumn<QString>("shown");
    QTest::newRow("negative") << -0.5f << "value 2 is -0.5";
    QTest::newRow("nan") << NAN << "value 2 is nan";
    QTest::newRow("infinity") << INFINITY << "value 2 is inf";
}

void TestImatrixValues::refusedWithReason() {
    QFETCH(float, bad);
    QFETCH(QString, shown);
    QTemporaryDir dir;
    const std::string path = writeDat(dir, {1.0f, 0.0f, bad, 2.0f});
    try {
        qb::ImportanceMatrix::load(path);
        QFAIL("accepted");
    } catch (const qb::Error &e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(QStringLiteral("entry 'weight.w' ") + shown), e.what());
        QVERIFY2(what.contains(QLatin1String("weighted searches need non-negative finite weights")), e.what());
        QVERIFY2(what.contains(QLatin1String("llama.cpp accepts such a file silently")), e.what());
        QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
    }
}

void TestImatrixValues::validValuesLoad() {
    QTemporaryDir dir;
    const auto m = qb::ImportanceMatrix::load(writeDat(dir, {1.0f, 0.0f, 3.0f, 2.0f}));
    QVERIFY(m.find("weight.w"));
    QCOMPARE(m.find("weight.w")->size(), size_t(4));
}

QTEST_GUILESS_MAIN(TestImatrixValues)
#include "tst_imatrix_values.moc"
