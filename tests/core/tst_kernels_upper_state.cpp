// The kernels' AVX paths leave the upper halves of the YMM registers clean when they return.
// A path that does not (gcc omitted the vzeroupper of the F16 decode before a tail call) makes
// every later SSE instruction of the thread pay a false dependency on those halves: on the
// project's machine the IQ quantizers, compiled for SSE2, ran 5x slower after an F16 decode
// than in a benchmark fed F32 rows (issue #20). Timing would be a flaky witness; the processor
// reports the state itself: XGETBV with ECX = 1 returns the state components in use
// (XINUSE), bit 2 being the upper YMM halves. The check needs that instruction (CPUID leaf 0Dh,
// sub-leaf 1, EAX bit 2), present on every AVX CPU of the last decade.
#include "ggml_types.h"
#include "kernels/kernels.h"

#include <QtTest>

#include <cstdint>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define QB_X86 1
#endif

Q_DECLARE_METATYPE(qb::GgmlType)

namespace {

#ifdef QB_X86
bool hasXinuse() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX)) return false;
    if (__get_cpuid_max(0, nullptr) < 0xd) return false;
    __cpuid_count(0xd, 1, a, b, c, d);
    return (a & (1u << 2)) != 0;
}

// True when the upper halves of the YMM registers are not in their initial (zero) state.
bool upperYmmInUse() {
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
    return (lo & (1u << 2)) != 0;
}
#endif

std::vector<uint16_t> f16Rows(int64_t n) {
    std::vector<uint16_t> h(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        h[size_t(i)] = uint16_t(0x3c00 + (i * 37) % 0x800); // 1.0 .. 2.0, varied mantissas
    return h;
}

} // namespace

class TestKernelsUpperState : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
#ifdef QB_X86
        if (!hasXinuse()) QSKIP("this CPU cannot report the YMM state (no XGETBV ECX=1)");
#else
        QSKIP("x86 only: other architectures have no AVX state transitions");
#endif
    }

    // The witness works: AVX code that leaves the upper halves dirty is seen as such.
    void witnessSeesDirtyState() {
#ifdef QB_X86
        __asm__ volatile("vpcmpeqd %%ymm7, %%ymm7, %%ymm7" ::: "xmm7");
        QVERIFY(upperYmmInUse());
        __asm__ volatile("vzeroupper");
        QVERIFY(!upperYmmInUse());
#endif
    }

    // Decoding F16 rows (the input of every whole-model run) and quantizing F16 rows straight
    // into the IQ and K types: the thread's upper YMM state is clean afterwards.
    void decodeLeavesUpperStateClean_data() {
        QTest::addColumn<qint64>("cols");
        QTest::newRow("1024, whole vectors") << qint64(1024);
        QTest::newRow("1027, scalar tail") << qint64(1027);
    }
    void decodeLeavesUpperStateClean() {
#ifdef QB_X86
        QFETCH(qint64, cols);
        const std::vector<uint16_t> h = f16Rows(4 * cols);
        std::vector<float> f(h.size());
        __asm__ volatile("vzeroupper");
        qb::dequantizeRows(qb::GgmlType::F16, h.data(), f.data(), 4, cols, 1);
        QVERIFY2(!upperYmmInUse(), "F16 decode returned with dirty upper YMM halves");
        QCOMPARE(f[0], 1.0f);
#endif
    }

    void transcodeLeavesUpperStateClean_data() {
        QTest::addColumn<qb::GgmlType>("type");
        QTest::newRow("IQ4_XS") << qb::GgmlType::IQ4_XS;
        QTest::newRow("IQ3_S") << qb::GgmlType::IQ3_S;
        QTest::newRow("Q4_K") << qb::GgmlType::Q4_K;
        QTest::newRow("Q8_0") << qb::GgmlType::Q8_0;
        QTest::newRow("F16") << qb::GgmlType::F16;
        QTest::newRow("BF16") << qb::GgmlType::BF16;
    }
    void transcodeLeavesUpperStateClean() {
#ifdef QB_X86
        QFETCH(qb::GgmlType, type);
        constexpr int64_t cols = 1024;
        const std::vector<uint16_t> h = f16Rows(4 * cols);
        std::vector<uint8_t> out(size_t(4 * qb::rowSizeBytes(type, cols)));
        __asm__ volatile("vzeroupper");
        qb::transcodeRows(qb::GgmlType::F16, h.data(), type, out.data(), 4, cols, nullptr, 1);
        QVERIFY2(!upperYmmInUse(), "F16 -> type returned with dirty upper YMM halves");
#endif
    }
};

QTEST_APPLESS_MAIN(TestKernelsUpperState)
#include "tst_kernels_upper_state.moc"
