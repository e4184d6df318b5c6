// Quantized inputs are checked as ggml_validate_row_data checks them: a non-finite block scale
// is found in the field ggml reads, for every type that has one; valid golden data passes.
// The poisoned field is checked to be the real scale by decoding the block (NaN or infinity
// comes out), so a wrong offset in the table cannot pass.
#include "golden.h"
#include "kernels/kernels.h"
#include "kernels/block_scale_validation.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <memory>

namespace {

struct Poison {
    const char *file;       // golden file holding a tensor of the type
    qb::GgmlType type;
    size_t offset;          // of the field within the block
    const char *field;
    uint16_t value;         // stored there (F16 bits, or a byte for MXFP4)
    const char *expected;   // as reported
};

const qb::GgufTensorInfo *firstOfType(const qb::GgufFile &f, qb::GgmlType type) {
    for (const auto &t : f.tensors())
        if (t.type == type && t.ne[1] >= 2) return &t;
    return nullptr;
}

} // namespace

class TestBlockScaleValidation : public QObject {
    Q_OBJECT
private slots:
    void goldenQuantizedModelsPass();
    void nonFiniteScaleIsFound_data();
    void nonFiniteScaleIsFound();
    void iq1mScaleSpreadOverFourWords();
    void typesWithoutScales();
};

void TestBlockScaleValidation::goldenQuantizedModelsPass() {
    int checked = 0;
    for (const char *name : {"Q2_K", "Q3_K_M", "Q4_0", "Q4_1", "Q4_K_M", "Q5_0", "Q5_1", "Q5_K_M", "Q6_K", "Q8_0",
                             "TQ1_0", "TQ2_0", "IQ3_S", "IQ3_XXS", "IQ4_NL", "IQ4_XS", "IQ1_M.imatrix", "IQ1_S.imatrix",
                             "IQ2_S.imatrix", "IQ2_XS.imatrix", "IQ2_XXS.imatrix"}) {
        const auto f = qb::GgufFile::open(qbtest::golden(std::string("pure/") + name + ".gguf"));
        for (const auto &t : f->tensors()) {
            if (!qb::hasBlockScales(t.type)) continue;
            const auto bad = qb::firstInvalidBlockScale(t.type, f->tensorData(t));
            QVERIFY2(!bad, qPrintable(QString::fromStdString(name + (" " + t.name))));
            ++checked;
        }
    }
    QVERIFY(checked > 100);
}

void TestBlockScaleValidation::nonFiniteScaleIsFound_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("offset");
    QTest::addColumn<QString>("field");
    QTest::addColumn<int>("value");
    QTest::addColumn<QString>("expected");
    using T = qb::GgmlType;
    const Poison cases[] = {
        {"Q4_0", T::Q4_0, 0, "d", 0x7e00, "NaN"},        {"Q4_1", T::Q4_1, 0, "d", 0x7c00, "inf"},
        {"Q4_1", T::Q4_1, 2, "m", 0xfc00, "-inf"},       {"Q5_0", T::Q5_0, 0, "d", 0x7e00, "NaN"},
        {"Q5_1", T::Q5_1, 2, "m", 0x7e00, "NaN"},        {"Q8_0", T::Q8_0, 0, "d", 0x7e01, "NaN"},
        {"Q2_K", T::Q2_K, 80, "d", 0x7e00, "NaN"},       {"Q2_K", T::Q2_K, 82, "dmin", 0x7c00, "inf"},
        {"Q3_K_M", T::Q3_K, 108, "d", 0x7e00, "NaN"},    {"Q4_K_M", T::Q4_K, 0, "d", 0x7e00, "NaN"},
        {"Q4_K_M", T::Q4_K, 2, "dmin", 0x7e00, "NaN"},   {"Q5_K_M", T::Q5_K, 2, "dmin", 0x7c00, "inf"},
        {"Q6_K", T::Q6_K, 208, "d", 0x7e00, "NaN"},      {"TQ1_0", T::TQ1_0, 52, "d", 0x7e00, "NaN"},
        {"TQ2_0", T::TQ2_0, 64, "d", 0x7e00, "NaN"},     {"IQ3_S", T::IQ3_S, 0, "d", 0x7e00, "NaN"},
        {"IQ3_XXS", T::IQ3_XXS, 0, "d", 0x7e00, "NaN"},  {"IQ4_NL", T::IQ4_NL, 0, "d", 0x7e00, "NaN"},
        {"IQ4_XS", T::IQ4_XS, 0, "d", 0x7e00, "NaN"},    {"IQ1_S.imatrix", T::IQ1_S, 0, "d", 0x7e00, "NaN"},
        {"synthetic", T::IQ2_S, 0, "d", 0x7e00, "NaN"}, {"IQ2_XS.imatrix", T::IQ2_XS, 0, "d", 0x7e00, "NaN"},
        {"IQ2_XXS.imatrix", T::IQ2_XXS, 0, "d", 0x7e00, "NaN"},
    };
    for (const Poison &c : cases)
        QTest::newRow((std::string(qb::typeName(c.type)) + "-" + c.field + "-" + c.expected).c_str())
            << QString::fromLatin1(c.file) << int(c.type) << int(c.offset) << QString::fromLatin1(c.field)
            << int(c.value) << QString::fromLatin1(c.expected);
}

void TestBlockScaleValidation::nonFiniteScaleIsFound() {
    QFETCH(QString, file);
    QFETCH(int, type);
    QFETCH(int, offset);
    QFETCH(QString, field);
    QFETCH(int, value);
    QFETCH(QString, expected);
    const auto t = qb::GgmlType(type);
    std::vector<uint8_t> data;
    qb::GgufTensorInfo synthetic;
    const qb::GgufTensorInfo *info = &synthetic;
    std::unique_ptr<qb::GgufFile> f;
    if (file == QLatin1String("synthetic")) {
        // No golden file holds this type: quantize smooth weights (4 rows of 512) ourselves.
        synthetic.name = "synthetic";
        synthetic.ne = {512, 4, 1, 1};
        std::vector<float> w(512 * 4), importance(512, 1.0f);
        for (size_t i = 0; i < w.size(); ++i) w[i] = float(std::sin(0.37 * double(i)));
        data.resize(size_t(4 * qb::rowSizeBytes(t, 512)));
        qb::quantizeRows(t, w.data(), data.data(), 4, 512, importance.data(), 1);
    } else {
        f = qb::GgufFile::open(qbtest::golden("pure/" + file.toStdString() + ".gguf"));
        info = firstOfType(*f, t);
        QVERIFY(info);
        const auto src = f->tensorData(*info);
        data.assign(src.begin(), src.end());
    }
    const size_t blockBytes = size_t(qb::typeTraits(t).typeSize);
    const size_t block = data.size() / blockBytes / 2 + 1;  // inside the second row or later
    const uint16_t v = uint16_t(value);
    std::memcpy(data.data() + block * blockBytes + size_t(offset), &v, sizeof v);

    const auto bad = qb::firstInvalidBlockScale(t, data);
    QVERIFY(bad);
    QCOMPARE(bad->block, uint64_t(block));
    QCOMPARE(QString::fromStdString(bad->field), field);
    QCOMPARE(QString::fromStdString(bad->value), expected);
    const std::string message = qb::describeInvalidBlockScale(info->name, t, *bad);
    QVERIFY2(message.find("block " + std::to_string(block)) != std::string::npos, message.c_str());

    // The field is the block's scale: decoding the block gives non-finite weights.
    const int64_t blockSize = qb::typeTraits(t).blockSize;
    const int64_t n = info->ne[0], row = int64_t(block) * blockSize / n;
    std::vector<float> out(static_cast<size_t>(n));
    qb::dequantizeRows(t, data.data() + row * qb::rowSizeBytes(t, n), out.data(), 1, n, 1);
    const int64_t first = int64_t(block) * blockSize - row * n;
    bool nonFinite = false;
    for (int64_t i = first; i < first + blockSize; ++i) nonFinite |= !std::isfinite(out[size_t(i)]);
    QVERIFY2(nonFinite, "the poisoned field did not change the decoded block: not its scale");
}

void TestBlockScaleValidation::iq1mScaleSpreadOverFourWords() {
    const auto f = qb::GgufFile::open(qbtest::golden("pure/IQ1_M.imatrix.gguf"));
    const qb::GgufTensorInfo *info = firstOfType(*f, qb::GgmlType::IQ1_M);
    QVERIFY(info);
    const auto src = f->tensorData(*info);
    std::vector<uint8_t> data(src.begin(), src.end());
    // F16 NaN 0x7e00 spread as ggml assembles it: word k's top nibble is bits 4k..4k+3.
    const size_t block = 3, at = block * 56 + 48;
    const uint16_t nibbles[4] = {0x0, 0x0, 0xe, 0x7};
    for (int k = 0; k < 4; ++k) {
        uint16_t w;
        std::memcpy(&w, data.data() + at + 2 * k, 2);
        w = uint16_t((w & 0x0fff) | (nibbles[k] << 12));
        std::memcpy(data.data() + at + 2 * k, &w, 2);
    }
    const auto bad = qb::firstInvalidBlockScale(qb::GgmlType::IQ1_M, data);
    QVERIFY(bad);
    QCOMPARE(bad->block, uint64_t(block));
    QCOMPARE(QString::fromStdString(bad->value), QStringLiteral("NaN"));
    const int64_t n = info->ne[0], row = int64_t(block) * 256 / n;
    std::vector<float> out(static_cast<size_t>(n));
    qb::dequantizeRows(qb::GgmlType::IQ1_M, data.data() + row * qb::rowSizeBytes(qb::GgmlType::IQ1_M, n), out.data(), 1,
                       n, 1);
    QVERIFY(!std::isfinite(out[size_t(int64_t(block) * 256 - row * n)]));
}

void TestBlockScaleValidation::typesWithoutScales() {
    QVERIFY(!qb::hasBlockScales(qb::GgmlType::F32));
    QVERIFY(!qb::hasBlockScales(qb::GgmlType::I32));
    // MXFP4: the E8M0 exponent 0xff is NaN.
    std::vector<uint8_t> mx(17 * 4, 0);
    QVERIFY(!qb::firstInvalidBlockScale(qb::GgmlType::MXFP4, mx));
    mx[17 * 2] = 0xff;
    QCOMPARE(qb::firstInvalidBlockScale(qb::GgmlType::MXFP4, mx)->block, uint64_t(2));
    // Q8_K keeps an F32 scale.
    std::vector<uint8_t> q8k(292 * 2, 0);
    const float inf = INFINITY;
    std::memcpy(q8k.data() + 292, &inf, 4);
    QCOMPARE(qb::firstInvalidBlockScale(qb::GgmlType::Q8_K, q8k)->value, std::string("inf"));
}

QTEST_APPLESS_MAIN(TestBlockScaleValidation)
#include "tst_block_scale_validation.moc"
