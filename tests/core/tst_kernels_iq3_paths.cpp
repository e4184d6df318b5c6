// The three forms of the IQ3 quantizers give the same bytes: the scalar reference, the SSE2 form
// (what a CPU without AVX2 runs) and the fast form the kernel table dispatches to (AVX2 on this
// machine). The SSE2 form is instantiated on its own so that it is checked on any CPU, and against
// llama.cpp's bytes on the golden rows. The other inputs are like make-model's weights (heavy
// tails, a few outlier columns, real row lengths), with and without importance data, and
// degenerate rows (zeros, NaN, infinities, all-zero importance), where ties and NaN decide.
#include "golden.h"
#include "golden_rows.h"

#include "kernels/iq3/iq3_blocks.h"
#include "kernels/kernels.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

using Form = size_t (*)(const float *, void *, int64_t, int64_t, const float *);

struct Forms {
    qb::GgmlType type;
    Form reference, sse2, fast;
};

Forms formsOf(const QString &name) {
    if (name == QLatin1String("IQ3_XXS"))
        return {*qb::typeFromName("IQ3_XXS"), qb::iq3::quantizeIq3XxsReference, qb::iq3::quantizeIq3XxsSse2,
                qb::iq3::quantizeIq3Xxs};
    return {*qb::typeFromName("IQ3_S"), qb::iq3::quantizeIq3SReference, qb::iq3::quantizeIq3SSse2,
            qb::iq3::quantizeIq3S};
}

void addTypes() {
    QTest::addColumn<QString>("typeName");
    QTest::newRow("IQ3_XXS") << QStringLiteral("IQ3_XXS");
    QTest::newRow("IQ3_S") << QStringLiteral("IQ3_S");
}

uint64_t nextRandom(uint64_t &s) {
    uint64_t x = (s += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

double uniform(uint64_t &s) { return (double(nextRandom(s) >> 11) + 0.5) / double(uint64_t(1) << 53); }

// Heavy-tailed rows in make-model's manner: Student-t with 4 degrees of freedom (a normal over the
// root of a chi-square), a per-row gain and about one column in 64 scaled 6-20x.
std::vector<float> modelLikeRows(int64_t rows, int64_t cols, uint64_t seed) {
    std::vector<double> columnGain(size_t(cols), 1.0);
    for (double &g : columnGain)
        if (nextRandom(seed) % 64 == 0) g = 6 + 14 * uniform(seed);
    std::vector<float> x(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const double rowGain = 0.5 + uniform(seed);
        for (int64_t c = 0; c < cols; ++c) {
            auto normal = [&] { return std::sqrt(-2 * std::log(uniform(seed))) * std::cos(6.283185307179586 * uniform(seed)); };
            double chi2 = 0;
            for (int k = 0; k < 4; ++k) {
                const double n = normal();
                chi2 += n * n;
            }
            const double t = normal() / std::sqrt(chi2 / 4);
            x[size_t(r * cols + c)] = float(t * 0.6 / std::sqrt(double(cols)) * rowGain * columnGain[size_t(c)]);
        }
    }
    return x;
}

std::vector<float> importanceFor(int64_t cols, uint64_t seed) {
    std::vector<float> w(static_cast<size_t>(cols));
    for (float &v : w)
        v = float(0.01 + 3 * uniform(seed) * uniform(seed));
    return w;
}

// Quantizes with all three forms; returns whether they agree (and reports the first difference).
bool formsAgree(const Forms &f, const std::vector<float> &x, int64_t rows, int64_t cols, const float *importance) {
    const size_t bytes = size_t(rows * qb::rowSizeBytes(f.type, cols));
    std::vector<uint8_t> reference(bytes, 0xAA), sse2(bytes, 0x55), fast(bytes, 0x33);
    if (f.reference(x.data(), reference.data(), rows, cols, importance) != bytes) return false;
    if (f.sse2(x.data(), sse2.data(), rows, cols, importance) != bytes) return false;
    if (f.fast(x.data(), fast.data(), rows, cols, importance) != bytes) return false;
    for (size_t i = 0; i < bytes; ++i) {
        if (reference[i] != sse2[i] || reference[i] != fast[i]) {
            qWarning("first difference at byte %zu of %zu: reference %d, SSE2 %d, fast %d", i, bytes, reference[i],
                     sse2[i], fast[i]);
            return false;
        }
    }
    return true;
}

} // namespace

class TestKernelsIq3Paths : public QObject {
    Q_OBJECT
  private slots:
    void sse2FormGivesGoldenBytes_data() { addTypes(); }
    void sse2FormGivesGoldenBytes();
    void formsAgreeOnModelLikeRows_data();
    void formsAgreeOnModelLikeRows();
    void formsAgreeOnDegenerateRows_data() { addTypes(); }
    void formsAgreeOnDegenerateRows();
};

// rows/IQ3_XXS.bin and rows/IQ3_S.bin: llama.cpp's bytes for the golden rows, made without importance.
void TestKernelsIq3Paths::sse2FormGivesGoldenBytes() {
    QFETCH(QString, typeName);
    const Forms f = formsOf(typeName);
    const auto &rows = qbtest::tinyFfnUpRows();
    constexpr int64_t kRows = 512, kCols = 256;
    QCOMPARE(int64_t(rows.weights.size()), kRows * kCols);
    const auto expected = qbtest::readAll(qbtest::golden("rows/" + typeName.toStdString() + ".bin"));
    QCOMPARE(int64_t(expected.size()), kRows * qb::rowSizeBytes(f.type, kCols));
    std::vector<uint8_t> out(expected.size());
    QCOMPARE(f.sse2(rows.weights.data(), out.data(), kRows, kCols, nullptr), expected.size());
    QVERIFY(std::memcmp(out.data(), expected.data(), expected.size()) == 0);
    QVERIFY(formsAgree(f, rows.weights, kRows, kCols, nullptr));
    QVERIFY(formsAgree(f, rows.weights, kRows, kCols, rows.importance.data()));
}

void TestKernelsIq3Paths::formsAgreeOnModelLikeRows_data() {
    QTest::addColumn<QString>("typeName");
    QTest::addColumn<int>("cols");
    QTest::addColumn<bool>("withImportance");
    for (const char *t : {"IQ3_XXS", "IQ3_S"})
        for (int cols : {1024, 2816})
            for (bool imp : {false, true})
                QTest::addRow("%s/%d/%s", t, cols, imp ? "importance" : "plain") << QString::fromLatin1(t) << cols << imp;
}

void TestKernelsIq3Paths::formsAgreeOnModelLikeRows() {
    QFETCH(QString, typeName);
    QFETCH(int, cols);
    QFETCH(bool, withImportance);
    const Forms f = formsOf(typeName);
    constexpr int64_t kRows = 48;
    const auto x = modelLikeRows(kRows, cols, 0x1234 + uint64_t(cols));
    const auto importance = importanceFor(cols, 99);
    QVERIFY(formsAgree(f, x, kRows, cols, withImportance ? importance.data() : nullptr));
}

void TestKernelsIq3Paths::formsAgreeOnDegenerateRows() {
    QFETCH(QString, typeName);
    const Forms f = formsOf(typeName);
    constexpr int64_t kCols = 256, kRows = 6;
    auto x = modelLikeRows(kRows, kCols, 7);
    std::fill(x.begin(), x.begin() + kCols, 0.f);                                // row 0: zeros
    std::fill(x.begin() + kCols + 32, x.begin() + kCols + 64, 0.f);              // row 1: one zero group
    x[size_t(2 * kCols + 5)] = std::numeric_limits<float>::quiet_NaN();          // row 2: a NaN
    x[size_t(3 * kCols + 9)] = std::numeric_limits<float>::infinity();           // row 3: an infinity
    for (int64_t c = 0; c < kCols; ++c)                                          // row 4: exact ties
        x[size_t(4 * kCols + c)] = float((c % 5) - 2) * 0.25f;
    std::fill(x.begin() + 5 * kCols, x.begin() + 6 * kCols, 1e-30f);             // row 5: tiny
    const std::vector<float> zeroImportance(size_t(kCols), 0.f);
    const auto importance = importanceFor(kCols, 3);
    QVERIFY(formsAgree(f, x, kRows, kCols, nullptr));
    QVERIFY(formsAgree(f, x, kRows, kCols, zeroImportance.data()));
    QVERIFY(formsAgree(f, x, kRows, kCols, importance.data()));
}

QTEST_GUILESS_MAIN(TestKernelsIq3Paths)
#include "tst_kernels_iq3_paths.moc"
