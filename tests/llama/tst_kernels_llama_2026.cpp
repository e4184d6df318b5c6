// Every quantizer against llama.cpp 0ad4a86's own: the rule set 2026-09 must write, type by type,
// exactly the bytes of ggml_quantize_chunk in that release's prebuilt libggml-base (fetched from
// npm by packaging/llama-reference/fetch-llama.sh), with and without importance data. The golden
// files pin b4748; this pins today's release at the kernel level, where a difference shows up on
// a few thousand rows instead of needing a whole model that happens to hit it.
//
// IQ1_M is the type whose algorithm changed between the releases (0ad4a86 computes its split
// search from prefix sums, which round differently): the test also requires the b4748 kernel to
// differ from this release somewhere in the sample, so it proves both that the 2026 kernel is
// needed and that the sample is large enough to tell the two apart.
#include "float_convert.h"
#include "ggml_types.h"
#include "kernels/kernels.h"
#include "rule_set.h"
#include "synthetic_weights.h"

#include <ggml.h>

#include <QtTest>

#include <cstring>
#include <vector>

namespace {

// The types ggml_quantize_chunk produces in 0ad4a86 (its switch), in id order.
constexpr qb::GgmlType kTypes[] = {
    qb::GgmlType::F32,   qb::GgmlType::F16,    qb::GgmlType::Q4_0,    qb::GgmlType::Q4_1,   qb::GgmlType::Q5_0,
    qb::GgmlType::Q5_1,  qb::GgmlType::Q8_0,   qb::GgmlType::Q2_K,    qb::GgmlType::Q3_K,   qb::GgmlType::Q4_K,
    qb::GgmlType::Q5_K,  qb::GgmlType::Q6_K,   qb::GgmlType::IQ2_XXS, qb::GgmlType::IQ2_XS, qb::GgmlType::IQ3_XXS,
    qb::GgmlType::IQ1_S, qb::GgmlType::IQ4_NL, qb::GgmlType::IQ3_S,   qb::GgmlType::IQ2_S,  qb::GgmlType::IQ4_XS,
    qb::GgmlType::IQ1_M, qb::GgmlType::BF16,   qb::GgmlType::TQ1_0,   qb::GgmlType::TQ2_0,  qb::GgmlType::MXFP4,
    qb::GgmlType::NVFP4, qb::GgmlType::Q1_0,   qb::GgmlType::Q2_0,
};

constexpr int64_t kCols = 1024;

// Rows like a model's (tests/support/synthetic_weights.h: per-row scale, heavy tails), stored as
// F16 as models are, with a few columns scaled up as real activations' outlier channels make them.
std::vector<float> weights(int64_t rows, uint64_t seed) {
    std::vector<uint16_t> half(size_t(rows * kCols));
    for (int64_t r = 0; r < rows; ++r)
        qbtest::fillRow(half.data() + r * kCols, kCols, seed << 32 | uint64_t(r));
    std::vector<float> out(half.size());
    for (size_t i = 0; i < half.size(); ++i) {
        const bool outlierColumn = qbtest::mix64(i % kCols) % 61 == 0;
        out[i] = qb::fp16ToFp32(half[i]) * (outlierColumn ? 9.0f : 1.0f);
    }
    return out;
}

// An importance vector like an imatrix's: positive, spread over three orders of magnitude.
std::vector<float> importance() {
    std::vector<float> w(kCols);
    for (int64_t c = 0; c < kCols; ++c)
        w[size_t(c)] = float(0.01 + std::exp2(double(qbtest::mix64(c + 7) % 1000) / 100.0));
    return w;
}

std::vector<uint8_t> ggmlBytes(qb::GgmlType type, const std::vector<float> &x, int64_t rows, const float *imatrix) {
    std::vector<uint8_t> out(size_t(rows * qb::rowSizeBytes(type, kCols)));
    ggml_quantize_chunk(ggml_type(type), x.data(), out.data(), 0, rows, kCols, imatrix);
    return out;
}

std::vector<uint8_t> ourBytes(qb::GgmlType type, const std::vector<float> &x, int64_t rows, const float *imatrix,
                              qb::RuleSet rules) {
    std::vector<uint8_t> out(size_t(rows * qb::rowSizeBytes(type, kCols)));
    qb::quantizeRows(type, x.data(), out.data(), rows, kCols, imatrix, 2, rules);
    return out;
}

// The first differing row, or -1.
int64_t firstDifferentRow(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b, int64_t rowBytes) {
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) return int64_t(i) / rowBytes;
    return -1;
}

} // namespace

class TestKernelsLlama2026 : public QObject {
    Q_OBJECT
  private slots:
    void everyTypeEqualsLlamaCpp_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<bool>("withImportance");
        for (qb::GgmlType t : kTypes)
            for (bool imp : {false, true})
                QTest::newRow((std::string(qb::typeName(t)) + (imp ? " with importance" : "")).c_str())
                    << int(t) << imp;
    }

    void everyTypeEqualsLlamaCpp() {
        QFETCH(int, type);
        QFETCH(bool, withImportance);
        const auto t = qb::GgmlType(type);
        QVERIFY2(qb::canQuantize(t), qb::typeName(t));
        // What ggml cannot make without importance data we refuse too (we also refuse IQ1_M, as
        // llama-quantize does although ggml_quantize_chunk would make it).
        if (ggml_quantize_requires_imatrix(ggml_type(t))) QVERIFY(qb::needsImportance(t));
        if (!withImportance && qb::needsImportance(t)) QSKIP("llama.cpp needs importance data for this type");
        // IQ1_M gets the most rows: its releases differ only in rare groups.
        const int64_t rows = t == qb::GgmlType::IQ1_M ? 2048 : 96;
        const std::vector<float> x = weights(rows, uint64_t(type) * 2 + withImportance);
        const std::vector<float> w = importance();
        const float *imatrix = withImportance ? w.data() : nullptr;
        const std::vector<uint8_t> reference = ggmlBytes(t, x, rows, imatrix);
        const std::vector<uint8_t> mine = ourBytes(t, x, rows, imatrix, qb::RuleSet::R2026_09);
        QCOMPARE(mine.size(), reference.size());
        const int64_t row = firstDifferentRow(mine, reference, qb::rowSizeBytes(t, kCols));
        QVERIFY2(
            row < 0,
            qPrintable(
                QString("%1: row %2 of %3 differs from llama.cpp 0ad4a86's").arg(qb::typeName(t)).arg(row).arg(rows)));
        // The single-threaded reference form under the same rule set writes the same bytes.
        std::vector<uint8_t> scalar(reference.size());
        qb::quantizeRowsReference(t, x.data(), scalar.data(), rows, kCols, imatrix, qb::RuleSet::R2026_09);
        QVERIFY(scalar == reference);
    }

    // b4748's IQ1_M is not 0ad4a86's: on this sample the old kernel differs in some rows, while
    // the rule set b4748 still gets the old kernel (its golden files pass in tst_kernels_golden).
    void iq1mDiffersBetweenReleases() {
        const int64_t rows = 2048;
        const std::vector<float> x = weights(rows, uint64_t(qb::GgmlType::IQ1_M) * 2 + 1);
        const std::vector<float> w = importance();
        const std::vector<uint8_t> today = ggmlBytes(qb::GgmlType::IQ1_M, x, rows, w.data());
        const std::vector<uint8_t> old = ourBytes(qb::GgmlType::IQ1_M, x, rows, w.data(), qb::RuleSet::B4748);
        const int64_t rowBytes = qb::rowSizeBytes(qb::GgmlType::IQ1_M, kCols);
        int differing = 0;
        for (int64_t r = 0; r < rows; ++r)
            differing += std::memcmp(old.data() + r * rowBytes, today.data() + r * rowBytes, size_t(rowBytes)) != 0;
        qInfo("IQ1_M: %d of %lld rows differ between the b4748 and 0ad4a86 algorithms", differing, (long long)rows);
        QVERIFY(differing > 0);
        QVERIFY(!qb::sameQuantizer(qb::GgmlType::IQ1_M, qb::RuleSet::B4748, qb::RuleSet::R2026_09));
        QVERIFY(qb::sameQuantizer(qb::GgmlType::IQ1_S, qb::RuleSet::B4748, qb::RuleSet::R2026_09));
    }
};

QTEST_GUILESS_MAIN(TestKernelsLlama2026)
#include "tst_kernels_llama_2026.moc"
