// K-quant kernels beyond the golden tensor: the fast path equals the scalar reference on
// inputs that take the rare branches (all-zero and constant groups, tiny and huge magnitudes,
// spikes, zero importance, rows of 1..5 super-blocks so every lane-group tail runs), rows are
// independent of how a tensor is split, and Q8_K (no golden file) round-trips within half a step.
#include "kernels/kernels.h"

#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>

namespace {

struct Case {
    const char *name;
    int64_t cols;
    bool importance;
    float scale;      // magnitude of the random part
    int pattern;      // see makeInput
};

// 0: heavy-tailed noise; 1: all zero; 2: constant; 3: one spike per 16 elements, rest zero;
// 4: every other sub-block of 32 zero; 5: noise, importance all zero; 6, 7, 8: noise with
// NaN, +-infinity or 3e38 sprinkled in (garbage in, but the same garbage out of both paths).
std::vector<float> makeInput(const Case &c, int64_t rows, unsigned seed) {
    std::mt19937 rng(seed);
    std::student_t_distribution<float> t(3.f);
    std::vector<float> x(size_t(rows * c.cols));
    for (size_t i = 0; i < x.size(); ++i) {
        switch (c.pattern) {
        case 1: x[i] = 0.f; break;
        case 2: x[i] = c.scale; break;
        case 3: x[i] = (i % 16 == 5) ? c.scale * t(rng) : 0.f; break;
        case 4: x[i] = ((i / 32) % 2) ? 0.f : c.scale * t(rng); break;
        case 6: x[i] = (i % 97 == 3) ? std::nanf("") : c.scale * t(rng); break;
        case 7: x[i] = (i % 89 == 3) ? ((i & 1) ? INFINITY : -INFINITY) : c.scale * t(rng); break;
        case 8: x[i] = (i % 83 == 3) ? 3e38f : c.scale * t(rng); break;
        default: x[i] = c.scale * t(rng); break;
        }
    }
    return x;
}

std::vector<float> makeImportance(const Case &c, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.f, 3.f);
    std::vector<float> w(size_t(c.cols));
    for (float &v : w) v = c.pattern == 5 ? 0.f : u(rng) * u(rng);
    return w;
}

const Case kCases[] = {
    {"noise-1blk", 256, false, 0.02f, 0},       {"noise-3blk", 768, false, 0.02f, 0},
    {"noise-5blk", 1280, false, 0.02f, 0},      {"noise-1blk-imp", 256, true, 0.02f, 0},
    {"noise-2blk-imp", 512, true, 0.02f, 0},    {"noise-3blk-imp", 768, true, 0.02f, 0},
    {"zero", 512, false, 0.f, 1},               {"zero-imp", 512, true, 0.f, 1},
    {"constant", 768, false, 0.25f, 2},         {"constant-neg-imp", 768, true, -0.25f, 2},
    {"tiny", 512, false, 1e-20f, 0},            {"tiny-imp", 512, true, 1e-20f, 0},
    {"large", 512, false, 1e4f, 0},             {"large-imp", 512, true, 1e4f, 0},
    {"spikes", 768, false, 1.f, 3},             {"spikes-imp", 768, true, 1.f, 3},
    {"half-zero", 1024, false, 0.1f, 4},        {"half-zero-imp", 1024, true, 0.1f, 4},
    {"zero-importance", 512, true, 0.02f, 5},   {"nan", 768, false, 0.02f, 6},
    {"nan-imp", 768, true, 0.02f, 6},           {"inf", 768, false, 0.02f, 7},
    {"inf-imp", 768, true, 0.02f, 7},           {"huge", 768, false, 0.02f, 8},
    {"huge-imp", 768, true, 0.02f, 8},
};

const char *const kTypes[] = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"};

} // namespace

class TestKernelsKquant : public QObject {
    Q_OBJECT
private slots:
    void fastEqualsReference_data();
    void fastEqualsReference();
    void rowsAreIndependent_data() { fastEqualsReference_data(); }
    void rowsAreIndependent();
    void q8kRoundTrip();
    void q8kZeroBlock();
};

void TestKernelsKquant::fastEqualsReference_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<int>("caseIndex");
    for (const char *type : kTypes)
        for (int i = 0; i < int(std::size(kCases)); ++i)
            QTest::newRow(qPrintable(QStringLiteral("%1/%2").arg(QLatin1String(type), QLatin1String(kCases[i].name))))
                << QString::fromLatin1(type) << i;
}

void TestKernelsKquant::fastEqualsReference() {
    QFETCH(QString, type);
    QFETCH(int, caseIndex);
    const Case &c = kCases[caseIndex];
    const qb::GgmlType t = *qb::typeFromName(type.toStdString());
    const int64_t rows = 6;
    const auto x = makeInput(c, rows, 7u + unsigned(caseIndex));
    const auto w = makeImportance(c, 11u + unsigned(caseIndex));
    const float *importance = c.importance ? w.data() : nullptr;
    const size_t bytes = size_t(rows * qb::rowSizeBytes(t, c.cols));
    std::vector<uint8_t> fast(bytes, 0x55), reference(bytes, 0xAA);
    QCOMPARE(qb::quantizeRows(t, x.data(), fast.data(), rows, c.cols, importance, 1), bytes);
    QCOMPARE(qb::quantizeRowsReference(t, x.data(), reference.data(), rows, c.cols, importance), bytes);
    if (fast != reference) {
        size_t i = 0;
        while (fast[i] == reference[i]) ++i;
        QFAIL(qPrintable(QStringLiteral("first difference at byte %1").arg(i)));
    }
    if (c.pattern >= 6) return;  // non-finite input: only equality is promised
    // Decoding never produces NaN from what we wrote for finite input.
    std::vector<float> back(size_t(rows * c.cols));
    qb::dequantizeRows(t, fast.data(), back.data(), rows, c.cols, 1);
    for (float v : back) QVERIFY(std::isfinite(v));
}

void TestKernelsKquant::rowsAreIndependent() {
    QFETCH(QString, type);
    QFETCH(int, caseIndex);
    const Case &c = kCases[caseIndex];
    const qb::GgmlType t = *qb::typeFromName(type.toStdString());
    const int64_t rows = 5;
    const auto x = makeInput(c, rows, 3u + unsigned(caseIndex));
    const auto w = makeImportance(c, 5u + unsigned(caseIndex));
    const float *importance = c.importance ? w.data() : nullptr;
    const int64_t rowBytes = qb::rowSizeBytes(t, c.cols);
    std::vector<uint8_t> whole(size_t(rows * rowBytes)), single(whole.size());
    qb::quantizeRows(t, x.data(), whole.data(), rows, c.cols, importance, 1);
    for (int64_t r = 0; r < rows; ++r)
        qb::quantizeRows(t, x.data() + r * c.cols, single.data() + r * rowBytes, 1, c.cols, importance, 1);
    QVERIFY(whole == single);
}

void TestKernelsKquant::q8kRoundTrip() {
    const int64_t cols = 512;
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.f, 0.3f);
    std::vector<float> x(static_cast<size_t>(cols));
    for (float &v : x) v = nd(rng);
    const int64_t rowBytes = qb::rowSizeBytes(qb::GgmlType::Q8_K, cols);
    QCOMPARE(rowBytes, int64_t(2 * 292));
    std::vector<uint8_t> q(static_cast<size_t>(rowBytes));
    QCOMPARE(qb::quantizeRows(qb::GgmlType::Q8_K, x.data(), q.data(), 1, cols, nullptr, 1), size_t(rowBytes));
    std::vector<float> back(static_cast<size_t>(cols));
    qb::dequantizeRows(qb::GgmlType::Q8_K, q.data(), back.data(), 1, cols, 1);
    for (int b = 0; b < 2; ++b) {
        const uint8_t *block = q.data() + 292 * b;
        float d;
        std::memcpy(&d, block, 4);
        const auto *qs = reinterpret_cast<const int8_t *>(block + 4);
        // The element of largest magnitude maps to -127 (ggml scales by -127 / max).
        int extreme = 0;
        for (int j = 0; j < 256; ++j) extreme = std::max(extreme, std::abs(int(qs[j])));
        QCOMPARE(extreme, 127);
        for (int g = 0; g < 16; ++g) {
            int sum = 0;
            for (int j = 0; j < 16; ++j) sum += qs[16 * g + j];
            int16_t stored;
            std::memcpy(&stored, block + 4 + 256 + 2 * g, 2);
            QCOMPARE(int(stored), sum);
        }
        for (int j = 0; j < 256; ++j) {
            QCOMPARE(back[size_t(256 * b + j)], d * float(qs[j]));
            QVERIFY(std::fabs(back[size_t(256 * b + j)] - x[size_t(256 * b + j)]) <= std::fabs(d) * 0.5001f);
        }
    }
}

void TestKernelsKquant::q8kZeroBlock() {
    std::vector<float> x(256, 0.f);
    std::vector<uint8_t> q(292, 0xCD);
    qb::quantizeRows(qb::GgmlType::Q8_K, x.data(), q.data(), 1, 256, nullptr, 1);
    for (uint8_t byte : q) QCOMPARE(int(byte), 0);
}

QTEST_GUILESS_MAIN(TestKernelsKquant)
#include "tst_kernels_kquant.moc"
