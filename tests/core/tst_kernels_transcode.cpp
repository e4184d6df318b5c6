// transcodeRows (decode and quantize chunk by chunk, as the pipeline does) must give exactly the
// bytes of the two-step path it replaced: dequantizeRows of the whole tensor, then quantizeRows;
// for every source format the pipeline reads (F32, F16, BF16, an already quantized type), with
// and without importance data, at 1 to 3 threads, and with row counts that leave ragged chunks.
#include "float_convert.h"
#include "kernels/kernels.h"

#include <QtTest>

#include <cstring>
#include <random>
#include <vector>

namespace {

using qb::GgmlType;

// Source bytes of `type` holding weights like a model's (roughly normal, a few outliers).
std::vector<uint8_t> makeSource(GgmlType type, int64_t nrows, int64_t ncols) {
    std::mt19937 rng(1234);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    std::vector<float> w(size_t(nrows * ncols));
    for (size_t i = 0; i < w.size(); ++i) w[i] = (i % 997 == 0) ? 0.4f : dist(rng);
    std::vector<uint8_t> out(size_t(nrows * qb::rowSizeBytes(type, ncols)));
    if (type == GgmlType::F32) {
        std::memcpy(out.data(), w.data(), out.size());
    } else if (type == GgmlType::F16 || type == GgmlType::BF16) {
        auto *h = reinterpret_cast<uint16_t *>(out.data());
        for (size_t i = 0; i < w.size(); ++i) h[i] = type == GgmlType::F16 ? qb::fp32ToFp16(w[i]) : qb::fp32ToBf16(w[i]);
    } else {
        qb::quantizeRows(type, w.data(), out.data(), nrows, ncols, nullptr, 1);
    }
    return out;
}

} // namespace

class TestKernelsTranscode : public QObject {
    Q_OBJECT
private slots:
    void equalsDequantizeThenQuantize_data();
    void equalsDequantizeThenQuantize();
    void refusesWhatQuantizeRowsRefuses();
};

void TestKernelsTranscode::equalsDequantizeThenQuantize_data() {
    QTest::addColumn<int>("from");
    QTest::addColumn<int>("to");
    QTest::addColumn<bool>("weighted");
    const GgmlType sources[] = {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0};
    const GgmlType targets[] = {GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::IQ4_XS, GgmlType::IQ2_XS};
    for (GgmlType from : sources)
        for (GgmlType to : targets)
            for (bool weighted : {false, true}) {
                if (qb::needsImportance(to) && !weighted) continue;
                QTest::addRow("%s->%s%s", qb::typeName(from), qb::typeName(to), weighted ? "+imatrix" : "")
                    << int(from) << int(to) << weighted;
            }
}

void TestKernelsTranscode::equalsDequantizeThenQuantize() {
    QFETCH(int, from);
    QFETCH(int, to);
    QFETCH(bool, weighted);
    const auto src = GgmlType(from), dst = GgmlType(to);
    const int64_t ncols = 512, nrows = 37;  // 37 rows: chunks of unequal size at every thread count
    const std::vector<uint8_t> input = makeSource(src, nrows, ncols);
    std::vector<float> importance(static_cast<size_t>(ncols));
    for (int64_t i = 0; i < ncols; ++i) importance[size_t(i)] = 0.5f + float(i % 7);
    const float *imp = weighted ? importance.data() : nullptr;

    std::vector<float> decoded(size_t(nrows * ncols));
    qb::dequantizeRows(src, input.data(), decoded.data(), nrows, ncols, 1);
    std::vector<uint8_t> expected(size_t(nrows * qb::rowSizeBytes(dst, ncols)));
    qb::quantizeRows(dst, decoded.data(), expected.data(), nrows, ncols, imp, 1);

    for (int threads : {1, 2, 3}) {
        std::vector<uint8_t> got(expected.size(), 0xA5);  // poisoned: every byte must be written
        const size_t n = qb::transcodeRows(src, input.data(), dst, got.data(), nrows, ncols, imp, threads);
        QCOMPARE(n, expected.size());
        QVERIFY2(got == expected, qPrintable(QStringLiteral("differs at %1 threads").arg(threads)));
    }
}

void TestKernelsTranscode::refusesWhatQuantizeRowsRefuses() {
    const std::vector<uint8_t> input = makeSource(GgmlType::F16, 4, 256);
    std::vector<uint8_t> out(size_t(4 * qb::rowSizeBytes(GgmlType::IQ2_XS, 256)));
    // IQ2_XS without importance data, and a row length that is not a whole number of blocks.
    QVERIFY_THROWS_EXCEPTION(std::exception, qb::transcodeRows(GgmlType::F16, input.data(), GgmlType::IQ2_XS,
                                                               out.data(), 4, 256, nullptr, 2));
    QVERIFY_THROWS_EXCEPTION(std::exception, qb::transcodeRows(GgmlType::F16, input.data(), GgmlType::Q4_K,
                                                               out.data(), 8, 128, nullptr, 2));
}

QTEST_APPLESS_MAIN(TestKernelsTranscode)
#include "tst_kernels_transcode.moc"
