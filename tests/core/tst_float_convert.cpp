// The 16-bit float conversions, bit for bit: the scalar functions of float_convert.h against an
// independent model of ggml's scalar conversions (the float-multiply formulation ggml uses when
// built without F16C), and the vectorised row paths behind quantizeRows / dequantizeRows
// (F16C, AVX2) against the scalar functions. Every half and every bf16 is checked; floats are
// sampled across the whole 32-bit space plus every rounding boundary of the half grid.
#include "float_convert.h"
#include "kernels/kernels.h"

#include <QtTest>

#include <bit>
#include <cmath>
#include <vector>

namespace {

uint32_t bitsOf(float f) { return std::bit_cast<uint32_t>(f); }
float floatOf(uint32_t u) { return std::bit_cast<float>(u); }

// ggml's portable fp32 -> fp16: scaling by 2^112 then 2^-110 lets the FPU do the rounding,
// adding a power of two aligned to the half's exponent leaves the rounded mantissa in the low bits.
uint16_t ggmlModelToHalf(float f) {
    float base = (std::fabs(f) * 0x1.0p+112f) * 0x1.0p-110f;
    const uint32_t w = bitsOf(f);
    const uint32_t twice = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = twice & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = floatOf((bias >> 1) + 0x07800000u) + base;
    const uint32_t b = bitsOf(base);
    const uint32_t nonSign = ((b >> 13) & 0x7C00u) + (b & 0x0FFFu);
    return uint16_t((sign >> 16) | (twice > 0xFF000000u ? 0x7E00u : nonSign));
}

// ggml's portable fp16 -> fp32: re-bias by a multiply (normal and NaN: the multiply quiets
// signalling NaNs) or rebuild subnormals by a subtraction.
uint32_t ggmlModelFromHalf(uint16_t h) {
    const uint32_t w = uint32_t(h) << 16;
    const uint32_t twice = w + w;
    const float normal = floatOf((twice >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
    const float subnormal = floatOf((twice >> 17) | (126u << 23)) - 0.5f;
    return (w & 0x80000000u) | (twice < (1u << 27) ? bitsOf(subnormal) : bitsOf(normal));
}

// bf16 by explicit round-to-nearest-even on the dropped 16 bits; NaN keeps its top half, quieted.
uint16_t modelToBf16(float f) {
    const uint32_t x = bitsOf(f);
    if ((x & 0x7fffffff) > 0x7f800000) return uint16_t((x >> 16) | 0x40);
    uint32_t kept = x >> 16;
    const uint32_t dropped = x & 0xffff;
    if (dropped > 0x8000 || (dropped == 0x8000 && (kept & 1))) ++kept;
    return uint16_t(kept);
}

// A deterministic sample of float bit patterns: a coprime stride over all 2^32, every half
// rounding boundary (midpoints and their neighbours), and the special values. The odd prime
// stride (2039) visits every exponent with many mantissa and payload patterns: ~2.1M floats.
const std::vector<float> &sampleFloats() {
    static const std::vector<float> sample = [] {
        std::vector<float> out;
        for (uint64_t u = 0; u < (uint64_t(1) << 32); u += 2039) out.push_back(floatOf(uint32_t(u)));
        for (uint32_t h = 0; h < 0x7c00; ++h) {
            // Exact midpoint between half h and h + 1, and one float ulp either side.
            const double mid = (double(std::bit_cast<float>(ggmlModelFromHalf(uint16_t(h)))) +
                                double(std::bit_cast<float>(ggmlModelFromHalf(uint16_t(h + 1))))) / 2.0;
            const float m = float(mid);
            for (float v : {m, std::nextafter(m, 0.0f), std::nextafter(m, 1e9f)}) {
                out.push_back(v);
                out.push_back(-v);
            }
        }
        for (uint32_t special : {0x00000000u, 0x80000000u, 0x00000001u, 0x807fffffu, 0x7f800000u, 0xff800000u,
                                 0x7f800001u, 0x7fc00000u, 0xffc00000u, 0x7fffffffu, 0xffffffffu, 0x7f7fffffu,
                                 0x477fefffu, 0x477ff000u, 0x33000000u, 0x33000001u, 0xb3000000u})
            out.push_back(floatOf(special));
        return out;
    }();
    return sample;
}

std::vector<uint16_t> allSixteenBit() {
    std::vector<uint16_t> v(65536);
    for (uint32_t i = 0; i < 65536; ++i) v[i] = uint16_t(i);
    return v;
}

} // namespace

class TestFloatConvert : public QObject {
    Q_OBJECT
private slots:
    void halfToFloatAllHalves();
    void floatToHalfSample();
    void halfRoundTrip();
    void bf16AllAndSample();
};

void TestFloatConvert::halfToFloatAllHalves() {
    const std::vector<uint16_t> halves = allSixteenBit();
    std::vector<float> fast(halves.size());
    qb::dequantizeRows(qb::GgmlType::F16, halves.data(), fast.data(), 256, 256, 2);
    for (uint32_t h = 0; h < 65536; ++h) {
        const uint32_t scalar = bitsOf(qb::fp16ToFp32(uint16_t(h)));
        if (scalar != ggmlModelFromHalf(uint16_t(h)) || bitsOf(fast[h]) != scalar)
            QFAIL(qPrintable(QStringLiteral("half 0x%1: scalar %2 ggml %3 row path %4")
                                 .arg(h, 4, 16, QLatin1Char('0'))
                                 .arg(scalar, 8, 16)
                                 .arg(ggmlModelFromHalf(uint16_t(h)), 8, 16)
                                 .arg(bitsOf(fast[h]), 8, 16)));
    }
}

void TestFloatConvert::floatToHalfSample() {
    const std::vector<float> &x = sampleFloats();
    QVERIFY(x.size() > 1000000);
    const int64_t n = int64_t(x.size());
    std::vector<uint16_t> fast(x.size()), reference(x.size());
    // One long row (vector loop plus scalar tail) and the scalar reference path.
    qb::quantizeRows(qb::GgmlType::F16, x.data(), fast.data(), 1, n, nullptr, 1);
    qb::quantizeRowsReference(qb::GgmlType::F16, x.data(), reference.data(), 1, n, nullptr);
    for (size_t i = 0; i < x.size(); ++i) {
        const uint16_t scalar = qb::fp32ToFp16(x[i]);
        if (scalar != ggmlModelToHalf(x[i]) || fast[i] != scalar || reference[i] != scalar)
            QFAIL(qPrintable(QStringLiteral("float 0x%1: scalar %2 ggml %3 row path %4")
                                 .arg(bitsOf(x[i]), 8, 16, QLatin1Char('0'))
                                 .arg(scalar, 4, 16)
                                 .arg(ggmlModelToHalf(x[i]), 4, 16)
                                 .arg(fast[i], 4, 16)));
    }
    // NaN always becomes 0x7e00 with the sign, whatever the payload (F16C would keep it).
    QCOMPARE(qb::fp32ToFp16(floatOf(0x7fffffffu)), uint16_t(0x7e00));
    QCOMPARE(qb::fp32ToFp16(floatOf(0xff800001u)), uint16_t(0xfe00));
}

void TestFloatConvert::halfRoundTrip() {
    for (uint32_t h = 0; h < 65536; ++h) {
        const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x03ff);
        const uint16_t back = qb::fp32ToFp16(qb::fp16ToFp32(uint16_t(h)));
        QCOMPARE(back, nan ? uint16_t((h & 0x8000) | 0x7e00) : uint16_t(h));
    }
}

void TestFloatConvert::bf16AllAndSample() {
    const std::vector<uint16_t> all = allSixteenBit();
    std::vector<float> decoded(all.size());
    qb::dequantizeRows(qb::GgmlType::BF16, all.data(), decoded.data(), 1, 65536, 1);
    for (uint32_t h = 0; h < 65536; ++h) {
        QCOMPARE(bitsOf(qb::bf16ToFp32(uint16_t(h))), h << 16);
        QCOMPARE(bitsOf(decoded[h]), h << 16);
    }
    const std::vector<float> &x = sampleFloats();
    const int64_t n = int64_t(x.size());
    std::vector<uint16_t> fast(x.size()), reference(x.size());
    qb::quantizeRows(qb::GgmlType::BF16, x.data(), fast.data(), 1, n, nullptr, 1);
    qb::quantizeRowsReference(qb::GgmlType::BF16, x.data(), reference.data(), 1, n, nullptr);
    for (size_t i = 0; i < x.size(); ++i) {
        const uint16_t scalar = qb::fp32ToBf16(x[i]);
        if (scalar != modelToBf16(x[i]) || fast[i] != scalar || reference[i] != scalar)
            QFAIL(qPrintable(QStringLiteral("float 0x%1 -> bf16: scalar %2 model %3 row path %4")
                                 .arg(bitsOf(x[i]), 8, 16, QLatin1Char('0'))
                                 .arg(scalar, 4, 16)
                                 .arg(modelToBf16(x[i]), 4, 16)
                                 .arg(fast[i], 4, 16)));
    }
}

QTEST_GUILESS_MAIN(TestFloatConvert)
#include "tst_float_convert.moc"
