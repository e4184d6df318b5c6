// The legacy types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) beyond the golden tensor: the vectorised
// fast path equals the scalar reference on hostile blocks (signed zeros, NaN, infinities,
// subnormals, magnitude ties, exact rounding ties), and a few results are checked by hand
// against what ggml's reference code computes.
#include "float_convert.h"
#include "kernels/kernels.h"
#include "kernels/legacy/legacy_fast.h"

#include <QtTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

constexpr int64_t kCols = 256;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

using Block = std::vector<float>;

// Blocks of 32 that exercise every order-dependent corner of the reference algorithms.
std::vector<Block> edgeBlocks() {
    std::mt19937 rng(1234);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    auto randomBlock = [&](float scale) {
        Block b(32);
        for (float &v : b) v = normal(rng) * scale;
        return b;
    };
    std::vector<Block> blocks;
    blocks.push_back(Block(32, 0.0f));
    blocks.push_back(Block(32, -0.0f));
    for (int variant = 0; variant < 4; ++variant) {
        Block b(32);
        for (int j = 0; j < 32; ++j) b[j] = ((j + variant) % 3 == 0) ? -0.0f : 0.0f;
        if (variant >= 2) b[5] = variant == 2 ? 0.75f : -0.75f;  // zero is then the min or the max
        if (variant == 3) b[9] = -2.0f;
        blocks.push_back(b);
    }
    for (int pos : {0, 7, 8, 19, 31}) {
        Block b = randomBlock(0.02f);
        b[pos] = kNan;
        blocks.push_back(b);
        b[(pos + 3) % 32] = kInf;
        blocks.push_back(b);
    }
    blocks.push_back(Block(32, kNan));
    {
        Block b = randomBlock(1.0f);
        b[4] = kInf;
        b[20] = -kInf;
        blocks.push_back(b);
        Block c = randomBlock(1.0f);
        c[30] = -kInf;
        blocks.push_back(c);
    }
    for (float tiny : {1e-45f, 3e-45f, 1e-40f, 2.5e-39f, 4e-39f, 1e-38f, 2e-38f}) {
        Block b(32);
        for (int j = 0; j < 32; ++j) b[j] = tiny * float((j % 5) - 2);
        blocks.push_back(b);
        blocks.push_back(randomBlock(tiny));
    }
    for (float huge : {3e38f, -3e38f}) {
        Block b = randomBlock(1e38f);
        b[3] = huge;
        b[17] = -huge;
        blocks.push_back(b);
    }
    for (int order = 0; order < 2; ++order) {  // equal magnitudes: the first one must win
        Block b = randomBlock(0.1f);
        b[order ? 11 : 26] = 1.0f;
        b[order ? 26 : 11] = -1.0f;
        blocks.push_back(b);
    }
    {
        Block b(32);  // amax 127 -> d = 1: exact half-way cases for roundf and the +0.5 tricks
        for (int j = 0; j < 32; ++j) b[j] = float(j - 16) + 0.5f;
        b[0] = 127.0f;
        blocks.push_back(b);
        for (float &v : b) v = std::nextafter(v, 0.0f);
        blocks.push_back(b);
    }
    while (blocks.size() % (kCols / 32) != 0 || blocks.size() < 200) blocks.push_back(randomBlock(0.05f));
    return blocks;
}

std::vector<float> flatten(const std::vector<Block> &blocks) {
    std::vector<float> out;
    for (const Block &b : blocks) out.insert(out.end(), b.begin(), b.end());
    return out;
}

std::vector<uint8_t> quantize(qb::GgmlType type, const std::vector<float> &src, const float *importance,
                              bool reference) {
    const int64_t rows = int64_t(src.size()) / kCols;
    std::vector<uint8_t> out(size_t(rows * qb::rowSizeBytes(type, kCols)), 0xAA);
    if (reference)
        qb::quantizeRowsReference(type, src.data(), out.data(), rows, kCols, importance);
    else
        qb::quantizeRows(type, src.data(), out.data(), rows, kCols, importance, 2);
    return out;
}

uint16_t scaleOf(const std::vector<uint8_t> &bytes, size_t blockBytes, size_t block) {
    uint16_t h;
    std::memcpy(&h, bytes.data() + block * blockBytes, 2);
    return h;
}

} // namespace

class TestKernelsLegacy : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        qInfo("legacy fast path vectorised on this CPU: %s", qb::legacy::legacyFastPathVectorised() ? "yes" : "no");
    }
    void fastMatchesReferenceOnEdgeCases_data();
    void fastMatchesReferenceOnEdgeCases();
    void q8_0RoundsHalfAwayFromZero();
    void q4_0ScaleSignFollowsFirstExtreme();
    void zeroBlocksKeepGgmlSignedZeroScale();
    void importanceChangesOnlyTheSearchingTypes();
};

void TestKernelsLegacy::fastMatchesReferenceOnEdgeCases_data() {
    QTest::addColumn<QString>("typeName");
    for (const char *t : {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"}) QTest::newRow(t) << QString::fromLatin1(t);
}

void TestKernelsLegacy::fastMatchesReferenceOnEdgeCases() {
    QFETCH(QString, typeName);
    const qb::GgmlType type = *qb::typeFromName(typeName.toStdString());
    const std::vector<float> src = flatten(edgeBlocks());
    const auto fast = quantize(type, src, nullptr, false);
    const auto reference = quantize(type, src, nullptr, true);
    const size_t blockBytes = size_t(qb::typeTraits(type).typeSize);
    for (size_t i = 0; i < fast.size(); ++i)
        if (fast[i] != reference[i])
            QFAIL(qPrintable(QStringLiteral("block %1 differs at byte %2").arg(i / blockBytes).arg(i % blockBytes)));
}

void TestKernelsLegacy::q8_0RoundsHalfAwayFromZero() {
    // amax 127 gives d = 1 and id = 1, so each quant is roundf of the value itself.
    std::vector<float> src(size_t(kCols), 0.0f);
    const float values[] = {127.0f, 0.5f, -0.5f, 1.5f, -2.5f, 0.49999997f, -126.5f, 2.4999998f};
    std::copy(std::begin(values), std::end(values), src.begin());
    const auto bytes = quantize(qb::GgmlType::Q8_0, src, nullptr, false);
    QCOMPARE(scaleOf(bytes, 34, 0), qb::fp32ToFp16(1.0f));
    const int8_t expected[] = {127, 1, -1, 2, -3, 0, -127, 2};
    for (int j = 0; j < 8; ++j) QCOMPARE(int(int8_t(bytes[2 + size_t(j)])), int(expected[j]));
}

void TestKernelsLegacy::q4_0ScaleSignFollowsFirstExtreme() {
    std::vector<float> src(size_t(kCols), 0.25f);
    src[3] = 2.0f;  // block 0: +2 before -2, so d = 2 / -8
    src[9] = -2.0f;
    src[32 + 3] = -2.0f;  // block 1: -2 first, so d = -2 / -8
    src[32 + 9] = 2.0f;
    for (bool reference : {false, true}) {
        const auto bytes = quantize(qb::GgmlType::Q4_0, src, nullptr, reference);
        QCOMPARE(scaleOf(bytes, 18, 0), qb::fp32ToFp16(-0.25f));
        QCOMPARE(scaleOf(bytes, 18, 1), qb::fp32ToFp16(0.25f));
        // Block 0: 2 * (1 / -0.25) + 8.5 = 0.5 -> 0; -2 -> 16.5 -> clamped to 15.
        QCOMPARE(int(bytes[2 + 3] & 0x0f), 0);
        QCOMPARE(int(bytes[2 + 9] & 0x0f), 15);
    }
}

void TestKernelsLegacy::zeroBlocksKeepGgmlSignedZeroScale() {
    // ggml divides a zero extreme by -8 (or -16): the stored scale is -0.0 (0x8000).
    const std::vector<float> src(size_t(kCols), 0.0f);
    for (bool reference : {false, true}) {
        QCOMPARE(scaleOf(quantize(qb::GgmlType::Q4_0, src, nullptr, reference), 18, 0), uint16_t(0x8000));
        QCOMPARE(scaleOf(quantize(qb::GgmlType::Q5_0, src, nullptr, reference), 22, 0), uint16_t(0x8000));
        QCOMPARE(scaleOf(quantize(qb::GgmlType::Q8_0, src, nullptr, reference), 34, 0), uint16_t(0x0000));
    }
}

void TestKernelsLegacy::importanceChangesOnlyTheSearchingTypes() {
    // ggml's quantize_q8_0 ignores importance; Q4_0..Q5_1 search their scales with it.
    std::vector<float> src = flatten(edgeBlocks());
    for (float &v : src)
        if (!std::isfinite(v)) v = 0.5f;
    std::vector<float> importance(static_cast<size_t>(kCols));
    for (size_t j = 0; j < importance.size(); ++j) importance[j] = float(1 + (j * 7) % 13);
    for (const char *name : {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"}) {
        const qb::GgmlType type = *qb::typeFromName(name);
        const auto weighted = quantize(type, src, importance.data(), false);
        QVERIFY2(weighted == quantize(type, src, importance.data(), true), name);
        const bool same = weighted == quantize(type, src, nullptr, false);
        QVERIFY2(same == (type == qb::GgmlType::Q8_0), name);
    }
}

QTEST_GUILESS_MAIN(TestKernelsLegacy)
#include "tst_kernels_legacy.moc"
