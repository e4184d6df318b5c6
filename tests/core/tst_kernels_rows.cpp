// Every quantized type on one golden tensor (blk.0.ffn_up.weight of tiny.f16.gguf, 512 x 256):
// quantizing gives exactly llama.cpp's bytes, decoding gives exactly ggml's floats, at any
// thread count, and the fast path equals the plain scalar reference path.
#include "golden.h"
#include "golden_rows.h"

#include "kernels/kernels.h"

#include <QtTest>

#include <cstring>

namespace {

constexpr int64_t kRows = 512;
constexpr int64_t kCols = 256;

const char *const kTypes[] = {"Q4_0", "Q4_1", "Q5_0",  "Q5_1",  "Q8_0",   "Q2_K",    "Q3_K",   "Q4_K",  "Q5_K",
                              "Q6_K", "IQ4_NL", "IQ4_XS", "IQ3_XXS", "IQ3_S", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ1_S",
                              "IQ1_M", "TQ1_0", "TQ2_0", "MXFP4", "NVFP4", "Q1_0", "Q2_0"};

// The golden README: these five were produced with the with-embd importance matrix, the rest with none.
bool usesImportance(const QString &type) {
    return type == QLatin1String("IQ2_XXS") || type == QLatin1String("IQ2_XS") || type == QLatin1String("IQ2_S") ||
           type == QLatin1String("IQ1_S") || type == QLatin1String("IQ1_M");
}

const qbtest::GoldenRows &source() { return qbtest::tinyFfnUpRows(); }

void addTypeRows() {
    QTest::addColumn<QString>("typeName");
    for (const char *t : kTypes) QTest::newRow(t) << QString::fromLatin1(t);
}

qb::GgmlType typeOf(const QString &name) { return *qb::typeFromName(name.toStdString()); }

} // namespace

class TestKernelsRows : public QObject {
    Q_OBJECT
private slots:
    void dequantizeMatchesGgml_data() { addTypeRows(); }
    void dequantizeMatchesGgml();
    void quantizeMatchesLlamaCpp_data() { addTypeRows(); }
    void quantizeMatchesLlamaCpp();
    void referencePathMatches_data() { addTypeRows(); }
    void referencePathMatches();
};

void TestKernelsRows::dequantizeMatchesGgml() {
    QFETCH(QString, typeName);
    const qb::GgmlType type = typeOf(typeName);
    const auto bin = qbtest::readAll(qbtest::golden("rows/" + typeName.toStdString() + ".bin"));
    const auto expected = qbtest::readAll(qbtest::golden("rows/" + typeName.toStdString() + ".dequant.f32"));
    QCOMPARE(int64_t(bin.size()), kRows * qb::rowSizeBytes(type, kCols));
    QVERIFY(qb::canDequantize(type));
    std::vector<float> out(size_t(kRows * kCols));
    qb::dequantizeRows(type, bin.data(), out.data(), kRows, kCols, 2);
    QCOMPARE(expected.size(), out.size() * 4);
    QVERIFY(std::memcmp(out.data(), expected.data(), expected.size()) == 0);
}

void TestKernelsRows::quantizeMatchesLlamaCpp() {
    QFETCH(QString, typeName);
    const qb::GgmlType type = typeOf(typeName);
    const auto expected = qbtest::readAll(qbtest::golden("rows/" + typeName.toStdString() + ".bin"));
    const float *importance = usesImportance(typeName) ? source().importance.data() : nullptr;
    QVERIFY(qb::canQuantize(type));
    for (int threads : {1, 2, 3}) {
        std::vector<uint8_t> out(expected.size(), 0xAA);
        const size_t written =
            qb::quantizeRows(type, source().weights.data(), out.data(), kRows, kCols, importance, threads,
                             qb::RuleSet::B4748);  // the golden files are b4748's
        QCOMPARE(written, expected.size());
        if (out != expected) {
            size_t i = 0;
            while (out[i] == expected[i]) ++i;
            QFAIL(qPrintable(QStringLiteral("%1 threads: first difference at byte %2 (row %3)")
                                 .arg(threads)
                                 .arg(i)
                                 .arg(i / size_t(qb::rowSizeBytes(type, kCols)))));
        }
    }
}

void TestKernelsRows::referencePathMatches() {
    QFETCH(QString, typeName);
    const qb::GgmlType type = typeOf(typeName);
    const float *importance = usesImportance(typeName) ? source().importance.data() : nullptr;
    const size_t bytes = size_t(kRows * qb::rowSizeBytes(type, kCols));
    std::vector<uint8_t> fast(bytes), reference(bytes);
    qb::quantizeRows(type, source().weights.data(), fast.data(), kRows, kCols, importance, 1, qb::RuleSet::B4748);
    qb::quantizeRowsReference(type, source().weights.data(), reference.data(), kRows, kCols, importance,
                              qb::RuleSet::B4748);
    QVERIFY(fast == reference);
}

QTEST_GUILESS_MAIN(TestKernelsRows)
#include "tst_kernels_rows.moc"
