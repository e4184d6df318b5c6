// Robust histogram ranges (core/analysis/robust_range.h): the central fraction read off a scout
// histogram, exact bin edges on hand-made counts, underflow/overflow on their sides, outliers left
// out of a synthetic tensor's range but counted, and the union over several types.
#include <QtTest>

#include "analysis/robust_range.h"

#include <random>
#include <stdexcept>

class TestRobustRange : public QObject {
    Q_OBJECT
private slots:
    void exactEdgesOnHandMadeCounts();
    void underflowAndOverflowCountOnTheirSide();
    void outliersAreLeftOutButCounted();
    void emptyOrNanOnlyHasNoRange();
    void invalidArgumentsAreRefused();
    void rangesOfSeveralTypesAreUnited();
};

namespace {

qb::Histogram handMade() {
    qb::Histogram h;
    h.lo = 0;
    h.hi = 10;
    h.counts = {1, 0, 0, 10, 500, 480, 8, 0, 0, 1};
    h.nan = 5;  // never counted on either side
    return h;
}

} // namespace

void TestRobustRange::exactEdgesOnHandMadeCounts() {
    // 1000 finite values, 99 % kept: at most 5 may be cut on each side. Below bin 3 lies 1 value
    // (cut), bin 3 itself would make 11; above bin 6 lies 1 value, bin 6 would make 9.
    const auto r = qb::centralRange(handMade(), 0.99, 0.0);
    QVERIFY(r);
    QCOMPARE(r->lo, 3.0);
    QCOMPARE(r->hi, 7.0);
    // The margin widens by a fraction of the width on each side.
    const auto padded = qb::centralRange(handMade(), 0.99, 0.05);
    QVERIFY(padded);
    QCOMPARE(padded->lo, 3.0 - 0.2);
    QCOMPARE(padded->hi, 7.0 + 0.2);
    // Keeping everything keeps every non-empty bin.
    const auto all = qb::centralRange(handMade(), 1.0, 0.0);
    QVERIFY(all);
    QCOMPARE(all->lo, 0.0);
    QCOMPARE(all->hi, 10.0);
}

void TestRobustRange::underflowAndOverflowCountOnTheirSide() {
    qb::Histogram h = handMade();
    h.underflow = 6;  // more than the 5 that may be cut below: no bin may be cut on the low side
    auto r = qb::centralRange(h, 0.99, 0.0);
    QVERIFY(r);
    QCOMPARE(r->lo, 0.0);
    QCOMPARE(r->hi, 7.0);
    h.underflow = 0;
    h.overflow = 5;  // floor(0.005 · 1005) = 5 may be cut above, all taken by the overflow
    r = qb::centralRange(h, 0.99, 0.0);
    QVERIFY(r);
    QCOMPARE(r->lo, 3.0);
    QCOMPARE(r->hi, 10.0);
}

void TestRobustRange::outliersAreLeftOutButCounted() {
    // A tensor of 200 000 weights within a few hundredths of zero and 30 outliers at −2 and +3:
    // min..max is −2..3, the body falls into one bin of 64; the robust range holds the body.
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> values(200000);
    for (float &v : values) v = normal(rng);
    for (int i = 0; i < 20; ++i) values[size_t(i) * 9973] = 3.0f;
    for (int i = 0; i < 10; ++i) values[size_t(i) * 7919 + 5] = -2.0f;

    const qb::Histogram scout = qb::makeHistogram(values.data(), int64_t(values.size()), {qb::kRobustScoutBins, {}, {}});
    QCOMPARE(scout.lo, -2.0);
    QVERIFY(scout.hi > 3.0);
    const auto r = qb::centralRange(scout);
    QVERIFY(r);
    QVERIFY2(r->lo > -0.2 && r->lo < -0.05, qPrintable(QString::number(r->lo)));
    QVERIFY2(r->hi < 0.2 && r->hi > 0.05, qPrintable(QString::number(r->hi)));

    // Drawn on that range, at most 0.1 % of the values fall outside, the 30 outliers among them.
    const qb::Histogram drawn = qb::makeHistogram(values.data(), int64_t(values.size()), {64, r->lo, r->hi});
    const uint64_t outside = drawn.underflow + drawn.overflow;
    QVERIFY2(outside >= 30 && double(outside) <= 0.001 * double(values.size()), qPrintable(QString::number(outside)));
    QVERIFY(drawn.underflow >= 10);
    QVERIFY(drawn.overflow >= 20);
}

void TestRobustRange::emptyOrNanOnlyHasNoRange() {
    qb::Histogram empty;
    empty.lo = 0;
    empty.hi = 1;
    empty.counts.assign(8, 0);
    QVERIFY(!qb::centralRange(empty));
    empty.nan = 12;
    QVERIFY(!qb::centralRange(empty));
    QVERIFY(!qb::centralRange(qb::Histogram{}));
}

void TestRobustRange::invalidArgumentsAreRefused() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, qb::centralRange(handMade(), 0.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, qb::centralRange(handMade(), 1.5));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, qb::centralRange(handMade(), 0.99, -0.1));
}

void TestRobustRange::rangesOfSeveralTypesAreUnited() {
    auto scoutWith = [](double errorLo, double errorHi, double weightsLo) {
        qb::TensorAnalysis a;
        for (qb::Histogram *h : {&a.weights, &a.error, &a.relativeError}) {
            h->counts = {10, 10, 10, 10};
        }
        a.weights.lo = weightsLo;
        a.weights.hi = weightsLo + 4;
        a.error.lo = a.relativeError.lo = errorLo;
        a.error.hi = a.relativeError.hi = errorHi;
        return a;
    };
    const qb::TensorAnalysis narrow = scoutWith(-1, 1, 0);
    const qb::TensorAnalysis wide = scoutWith(-4, 2, 100);
    const qb::HistogramRanges r = qb::robustRanges({nullptr, &narrow, &wide}, 1.0, 0.0);
    QVERIFY(r.weights && r.error && r.relativeError);
    QCOMPARE(r.weights->lo, 0.0);  // the first scout's weights: they do not depend on the type
    QCOMPARE(r.weights->hi, 4.0);
    QCOMPARE(r.error->lo, -4.0);
    QCOMPARE(r.error->hi, 2.0);
    QCOMPARE(*r.relativeError, *r.error);
    const qb::HistogramRanges none = qb::robustRanges({nullptr});
    QVERIFY(!none.weights && !none.error && !none.relativeError);
}

QTEST_GUILESS_MAIN(TestRobustRange)
#include "tst_robust_range.moc"
