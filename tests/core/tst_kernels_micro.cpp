// Edge cases of the ternary and micro-block kernels that the golden tensor does not reach:
// ggml's float log2f exponent for MXFP4, the UE4M3 scale encoding of NVFP4, all-zero and
// saturating blocks, exact round trips, and that importance data changes nothing (ggml ignores
// it for TQ1_0, TQ2_0, MXFP4, NVFP4, Q1_0 and Q2_0).
#include "kernels/kernels.h"
#include "kernels/micro/micro_fp4.h"

#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

namespace {

std::vector<uint8_t> quantize(qb::GgmlType type, const std::vector<float> &x, int64_t ncols,
                              const float *importance = nullptr) {
    const int64_t nrows = int64_t(x.size()) / ncols;
    std::vector<uint8_t> out(size_t(nrows * qb::rowSizeBytes(type, ncols)));
    qb::quantizeRows(type, x.data(), out.data(), nrows, ncols, importance, 1);
    return out;
}

std::vector<float> dequantize(qb::GgmlType type, const std::vector<uint8_t> &q, int64_t n) {
    std::vector<float> out(static_cast<size_t>(n));
    qb::dequantizeRows(type, q.data(), out.data(), 1, n, 1);
    return out;
}

// Exact float equality (QCOMPARE on floats is fuzzy); -0 and +0 count as equal.
bool same(float a, float b) { return a == b; }

} // namespace

class TestKernelsMicro : public QObject {
    Q_OBJECT
private slots:
    void mxfp4ExponentUsesFloatLog2();
    void mxfp4ExactValuesRoundTrip();
    void ue4m3Encoding();
    void nvfp4SaturatesLargeBlocks();
    void zeroBlocks_data();
    void zeroBlocks();
    void importanceIsIgnored_data();
    void importanceIsIgnored();
    void q1AndQ2Codes();
    void hostileValues_data() { zeroBlocks_data(); }
    void hostileValues();
};

void TestKernelsMicro::mxfp4ExponentUsesFloatLog2() {
    // amax just below 0.25: the exact exponent is -3, but float log2f rounds up to -2.0, and
    // ggml stores floor(log2f(amax)) - 2 + 127 = 123 rather than 122.
    std::vector<float> x(32, 0.0f);
    x[5] = std::nextafter(0.25f, 0.0f);
    const auto q = quantize(qb::GgmlType::MXFP4, x, 32);
    QCOMPARE(int(q[0]), 123);
    // A plain power of two takes the exact exponent: 0.25 -> -2 - 2 + 127.
    x[5] = 0.25f;
    QCOMPARE(int(quantize(qb::GgmlType::MXFP4, x, 32)[0]), 123);
    x[5] = 0.2f;
    QCOMPARE(int(quantize(qb::GgmlType::MXFP4, x, 32)[0]), 122);
}

void TestKernelsMicro::mxfp4ExactValuesRoundTrip() {
    // With amax = 6 * 2^k every E2M1 value times 2^k is representable and must come back exactly.
    static const float kE2m1[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    std::vector<float> x(64);
    for (int i = 0; i < 64; ++i) x[size_t(i)] = kE2m1[i % 8] * (i % 16 >= 8 ? -1.0f : 1.0f) * 0.125f;
    const auto back = dequantize(qb::GgmlType::MXFP4, quantize(qb::GgmlType::MXFP4, x, 64), 64);
    for (int i = 0; i < 64; ++i) QVERIFY(same(back[size_t(i)], x[size_t(i)]));
    const auto nv = dequantize(qb::GgmlType::NVFP4, quantize(qb::GgmlType::NVFP4, x, 64), 64);
    for (int i = 0; i < 64; ++i) QVERIFY(same(nv[size_t(i)], x[size_t(i)]));
}

void TestKernelsMicro::ue4m3Encoding() {
    using qb::micro::fp32ToUe4m3;
    using qb::micro::ue4m3ToFp32Half;
    QCOMPARE(int(fp32ToUe4m3(1.0f)), 0x38);               // exponent 7, mantissa 0
    QVERIFY(same(ue4m3ToFp32Half(0x38), 0.5f));               // decoded at half
    QCOMPARE(int(fp32ToUe4m3(1.0625f)), 0x39);            // exact half-way rounds up, not to even
    QCOMPARE(int(fp32ToUe4m3(1.9375f)), 0x40);            // mantissa carry into the exponent
    QCOMPARE(int(fp32ToUe4m3(3.0f / 512.0f)), 0x03);      // subnormal: 3 * 2^-9
    QCOMPARE(int(fp32ToUe4m3(0.5f / 512.0f)), 0x01);      // half a unit rounds up
    QCOMPARE(int(fp32ToUe4m3(0.4f / 512.0f)), 0x00);
    QCOMPARE(int(fp32ToUe4m3(1000.0f)), 0x7E);            // clamps at 448 -> saturates
    QCOMPARE(int(fp32ToUe4m3(-1.0f)), 0x00);
    QCOMPARE(int(fp32ToUe4m3(std::nanf(""))), 0x00);
    QVERIFY(same(ue4m3ToFp32Half(0x7F), 0.0f));               // the NaN code decodes to zero
    QVERIFY(same(ue4m3ToFp32Half(0x7E), 224.0f));             // 1.75 * 2^8 / 2
    QVERIFY(same(ue4m3ToFp32Half(0x03), 3.0f / 1024.0f));
    // Every code below exponent 15 survives decode -> encode (the decoded value is half the
    // scale). Exponent 15 is never produced except as the saturation code 0x7E: a scale that rounds
    // past 240 (the largest exponent-14 value) jumps there, to 448.
    for (int c = 1; c < 0x78; ++c) QCOMPARE(int(fp32ToUe4m3(2.0f * ue4m3ToFp32Half(uint8_t(c)))), c);
    QCOMPARE(int(fp32ToUe4m3(247.9f)), 0x77);
    QCOMPARE(int(fp32ToUe4m3(248.0f)), 0x7E);
}

void TestKernelsMicro::nvfp4SaturatesLargeBlocks() {
    std::vector<float> x(64, 1.0e6f);
    const auto q = quantize(qb::GgmlType::NVFP4, x, 64);
    for (int s = 0; s < 4; ++s) QCOMPARE(int(q[size_t(s)]), 0x7E);
    const auto back = dequantize(qb::GgmlType::NVFP4, q, 64);
    for (float v : back) QVERIFY(same(v, 12.0f * 224.0f));  // the largest value ggml can represent
}

void TestKernelsMicro::zeroBlocks_data() {
    QTest::addColumn<QString>("type");
    for (const char *t : {"TQ1_0", "TQ2_0", "MXFP4", "NVFP4", "Q1_0", "Q2_0"}) QTest::newRow(t) << QString::fromLatin1(t);
}

void TestKernelsMicro::zeroBlocks() {
    QFETCH(QString, type);
    const qb::GgmlType t = *qb::typeFromName(type.toStdString());
    const std::vector<float> x(256, 0.0f);
    const auto q = quantize(t, x, 256);
    const auto back = dequantize(t, q, 256);
    for (float v : back) QVERIFY(v == 0.0f);
}

void TestKernelsMicro::importanceIsIgnored_data() { zeroBlocks_data(); }

void TestKernelsMicro::importanceIsIgnored() {
    QFETCH(QString, type);
    const qb::GgmlType t = *qb::typeFromName(type.toStdString());
    std::mt19937 rng(7);
    std::student_t_distribution<float> heavy(3.0f);
    std::uniform_real_distribution<float> weight(0.0f, 10.0f);
    std::vector<float> x(8 * 256), importance(256);
    for (float &v : x) v = 0.02f * heavy(rng);
    for (float &w : importance) w = weight(rng);
    QCOMPARE(quantize(t, x, 256, importance.data()), quantize(t, x, 256));
    QVERIFY(!qb::needsImportance(t));
}

void TestKernelsMicro::q1AndQ2Codes() {
    // Q1_0: sign bits (zero counts as positive) and the mean absolute value as the scale.
    std::vector<float> x(128);
    for (int i = 0; i < 128; ++i) x[size_t(i)] = (i % 3 == 0) ? -0.5f : (i % 3 == 1 ? 0.0f : 1.0f);
    const auto q1 = quantize(qb::GgmlType::Q1_0, x, 128);
    QCOMPARE(int(q1[2]), 0b10110110);  // values 0..7: -, 0, +, -, 0, +, -, 0
    const auto back1 = dequantize(qb::GgmlType::Q1_0, q1, 128);
    float mean = 0.0f;
    for (float v : x) mean += std::fabs(v);
    mean /= 128.0f;
    QVERIFY(same(back1[1], mean));  // 63.5 / 128 = 127/256, exact in fp16
    QVERIFY(same(back1[0], -mean));
    // Q2_0: codes of x / amax rounded half away from zero: -1 -> 0, 0 -> 1, +1 -> 2.
    std::vector<float> y(64, 0.0f);
    y[0] = -2.0f;
    y[1] = 0.99f;    // 0.495 -> 0
    y[2] = 1.0f;     // 0.5 -> 1
    y[3] = -1.0f;    // -0.5 -> -1
    const auto q2 = quantize(qb::GgmlType::Q2_0, y, 64);
    QCOMPARE(int(q2[2]), 0 | (1 << 2) | (2 << 4) | (0 << 6));
    const auto back2 = dequantize(qb::GgmlType::Q2_0, q2, 64);
    QVERIFY(same(back2[0], -2.0f));
    QVERIFY(same(back2[2], 2.0f));
    QVERIFY(same(back2[1], 0.0f));
}

void TestKernelsMicro::hostileValues() {
    // NaN, infinities, float extremes and subnormals: no crash, no undefined behaviour (the
    // sanitizer build runs this), and the same bytes at any thread count.
    QFETCH(QString, type);
    const qb::GgmlType t = *qb::typeFromName(type.toStdString());
    const float specials[] = {std::nanf(""), -std::nanf(""), INFINITY, -INFINITY, 3.4e38f, -3.4e38f,
                              1e-45f, -1e-40f, 1e-30f, 0.0f, -0.0f, 1.0f};
    std::vector<float> x(16 * 256);
    for (size_t i = 0; i < x.size(); ++i) x[i] = specials[(i * 7 + i / 256) % 12];
    const auto once = quantize(t, x, 256);
    std::vector<uint8_t> threaded(once.size());
    qb::quantizeRows(t, x.data(), threaded.data(), 16, 256, nullptr, 3);
    QCOMPARE(threaded, once);
    std::vector<float> back(x.size());
    qb::dequantizeRows(t, once.data(), back.data(), 16, 256, 2);
}

QTEST_GUILESS_MAIN(TestKernelsMicro)
#include "tst_kernels_micro.moc"
