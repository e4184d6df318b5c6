// The IQ2/IQ1 family beyond the golden rows: the codebook indices are built once and safely when
// many threads quantize at the same moment for the first time; the five types refuse to run
// without importance data, as llama-quantize does; and the fast neighbour lists equal ggml's
// sort-based construction for every key the quantizers can ask for.
#include "golden.h"
#include "golden_rows.h"

#include "error.h"
#include "kernels/iq2/iq2_grid_index.h"
#include "kernels/kernel_ops.h"
#include "kernels/kernels.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <latch>
#include <limits>
#include <random>
#include <thread>

namespace {

constexpr int64_t kRows = 512;
constexpr int64_t kCols = 256;

const char *const kTypes[] = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ1_S", "IQ1_M"};

qb::GgmlType typeOf(const QString &name) { return *qb::typeFromName(name.toStdString()); }

const qbtest::GoldenRows &source() { return qbtest::tinyFfnUpRows(); }

void addTypeRows() {
    QTest::addColumn<QString>("typeName");
    for (const char *t : kTypes) QTest::newRow(t) << QString::fromLatin1(t);
}

// ggml's construction: sort all grid points by (squared distance, position), keep those at the
// `nearest` smallest distinct distances.
std::vector<uint16_t> sortedNeighbours(const qb::iq2::GridIndex &grid, int key, int nearest) {
    std::vector<std::pair<int, int>> byDistance;
    for (int j = 0; j < grid.size(); ++j) {
        int d2 = 0;
        for (int e = 0; e < 8; ++e) {
            const int pos = 2 * ((key >> (2 * e)) & 3) + 1;
            d2 += (grid.point(j)[e] - pos) * (grid.point(j)[e] - pos);
        }
        byDistance.emplace_back(d2, j);
    }
    std::sort(byDistance.begin(), byDistance.end());
    std::vector<uint16_t> out;
    int have = 1;
    int level = byDistance.front().first;
    for (const auto &[d2, j] : byDistance) {
        if (d2 > level) {
            if (have == nearest) break;
            level = d2;
            ++have;
        }
        out.push_back(uint16_t(j));
    }
    return out;
}

// Rows that reach the rare branches: heavy tails, all-zero and constant groups, repeated
// values (sort ties), tiny magnitudes around the zero-group thresholds, large magnitudes,
// and importance that is zero over whole groups (no trial scale ever improves).
struct EdgeCaseInput {
    int64_t rows = 48;
    int64_t cols = 768;
    std::vector<float> weights;
    std::vector<float> importance;
};

EdgeCaseInput edgeCaseInput() {
    EdgeCaseInput in;
    std::mt19937 rng(20250221);
    std::student_t_distribution<float> heavy(3.f);
    std::uniform_real_distribution<float> uniform(0.f, 1.f);
    in.weights.resize(size_t(in.rows * in.cols));
    for (int64_t r = 0; r < in.rows; ++r) {
        float *x = in.weights.data() + r * in.cols;
        for (int64_t c = 0; c < in.cols; ++c) x[c] = 0.02f * heavy(rng);
        switch (r % 8) {
        case 1: std::fill(x, x + 32, 0.f); break;                                   // zero groups
        case 2: std::fill(x + 16, x + 48, 0.0123f); break;                           // constant groups
        case 3: for (int64_t c = 0; c < in.cols; ++c) x[c] = std::round(x[c] * 200.f) / 200.f; break;  // ties
        case 4: for (int64_t c = 0; c < 64; ++c) x[c] *= 1e-9f; break;               // near the thresholds
        case 5: for (int64_t c = 0; c < 64; ++c) x[c] *= 1e-12f; break;
        case 6: for (int64_t c = 0; c < in.cols; ++c) x[c] *= 1e4f; break;           // large values
        case 7: for (int64_t c = 0; c < in.cols; c += 2) x[c] = -std::fabs(x[c]); break;  // sign-heavy
        default: break;
        }
    }
    in.importance.resize(size_t(in.cols));
    for (int64_t c = 0; c < in.cols; ++c) in.importance[size_t(c)] = uniform(rng) * uniform(rng) * 4.f;
    std::fill(in.importance.begin() + 256, in.importance.begin() + 320, 0.f);  // zero importance groups
    for (int64_t c = 600; c < 640; ++c) in.importance[size_t(c)] = 1e-30f;
    return in;
}

} // namespace

class TestKernelsIq2 : public QObject {
    Q_OBJECT
private slots:
    // Must stay first: it relies on no codebook index existing yet in this process.
    void firstUseFromManyThreadsIsSafe();
    void refusesWithoutImportance_data() { addTypeRows(); }
    void refusesWithoutImportance();
    void fastPathEqualsReferenceOnEdgeCases_data() { addTypeRows(); }
    void fastPathEqualsReferenceOnEdgeCases();
    void refusesNonFiniteData_data() { addTypeRows(); }
    void refusesNonFiniteData();
    void neighbourListsMatchSortedSearch_data();
    void neighbourListsMatchSortedSearch();
    void indexIsBuiltOnce();
};

void TestKernelsIq2::firstUseFromManyThreadsIsSafe() {
    // Twelve threads released together, every type (so all four codebooks) requested at once;
    // each result must equal llama-quantize's bytes.
    const qbtest::GoldenRows &src = source();
    constexpr int kThreads = 12;
    std::latch start(kThreads);
    std::vector<std::vector<uint8_t>> outputs(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const qb::GgmlType type = typeOf(QString::fromLatin1(kTypes[t % 5]));
            outputs[size_t(t)].resize(size_t(kRows * qb::rowSizeBytes(type, kCols)));
            start.arrive_and_wait();
            try {
                qb::quantizeRows(type, src.weights.data(), outputs[size_t(t)].data(), kRows, kCols,
                                 src.importance.data(), 1, qb::RuleSet::B4748);  // b4748's golden rows
            } catch (const std::exception &e) {
                errors[size_t(t)] = e.what();
            }
        });
    }
    for (auto &th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) {
        QVERIFY2(errors[size_t(t)].empty(), errors[size_t(t)].c_str());
        const auto expected = qbtest::readAll(qbtest::golden(std::string("rows/") + kTypes[t % 5] + ".bin"));
        QVERIFY2(outputs[size_t(t)] == expected, kTypes[t % 5]);
    }
}

void TestKernelsIq2::refusesWithoutImportance() {
    QFETCH(QString, typeName);
    const qb::GgmlType type = typeOf(typeName);
    QVERIFY(qb::needsImportance(type));
    const std::vector<float> weights(size_t(2 * kCols), 0.5f);
    std::vector<uint8_t> out(size_t(2 * qb::rowSizeBytes(type, kCols)), 0xAA);
    for (int path = 0; path < 3; ++path) {
        try {
            if (path == 0) qb::quantizeRows(type, weights.data(), out.data(), 2, kCols, nullptr, 2);
            else if (path == 1) qb::quantizeRowsReference(type, weights.data(), out.data(), 2, kCols, nullptr);
            else  // the family's own function, without the entry point's check
                (qb::iq2KernelOps(type) ? qb::iq2KernelOps(type) : qb::iq1KernelOps(type))
                    ->quantize(weights.data(), out.data(), 2, kCols, nullptr);
            QFAIL("quantizing without importance data did not throw");
        } catch (const qb::Error &e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains(typeName, Qt::CaseInsensitive) && message.contains(QLatin1String("importance")),
                     e.what());
        }
    }
    QVERIFY(std::all_of(out.begin(), out.end(), [](uint8_t b) { return b == 0xAA; }));
}

void TestKernelsIq2::fastPathEqualsReferenceOnEdgeCases() {
    QFETCH(QString, typeName);
    const qb::GgmlType type = typeOf(typeName);
    static const EdgeCaseInput in = edgeCaseInput();
    const size_t bytes = size_t(in.rows * qb::rowSizeBytes(type, in.cols));
    std::vector<uint8_t> reference(bytes, 0x55);
    // b4748's IQ1_M has a separate scalar form; 0ad4a86's is one form (tst_kernels_llama_2026).
    qb::quantizeRowsReference(type, in.weights.data(), reference.data(), in.rows, in.cols, in.importance.data(),
                              qb::RuleSet::B4748);
    for (int threads : {1, 3}) {
        std::vector<uint8_t> fast(bytes, 0xAA);
        qb::quantizeRows(type, in.weights.data(), fast.data(), in.rows, in.cols, in.importance.data(), threads,
                         qb::RuleSet::B4748);
        QVERIFY2(fast == reference, qPrintable(QStringLiteral("%1 threads").arg(threads)));
    }
    std::vector<float> decoded(size_t(in.rows * in.cols));
    qb::dequantizeRows(type, reference.data(), decoded.data(), in.rows, in.cols, 2);
    QVERIFY(std::all_of(decoded.begin(), decoded.end(), [](float v) { return std::isfinite(v); }));
}

void TestKernelsIq2::refusesNonFiniteData() {
    QFETCH(QString, typeName);
    const qb::GgmlType type = typeOf(typeName);
    std::vector<float> weights(size_t(2 * kCols), 0.25f);
    std::vector<float> importance(size_t(kCols), 1.f);
    std::vector<uint8_t> out(size_t(2 * qb::rowSizeBytes(type, kCols)));
    weights[size_t(kCols + 7)] = std::numeric_limits<float>::quiet_NaN();
    try {
        qb::quantizeRows(type, weights.data(), out.data(), 2, kCols, importance.data(), 1);
        QFAIL("a NaN weight was accepted");
    } catch (const qb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("column 7 ")), e.what());
    }
    weights[size_t(kCols + 7)] = 0.25f;
    importance[3] = std::numeric_limits<float>::infinity();
    try {
        qb::quantizeRows(type, weights.data(), out.data(), 2, kCols, importance.data(), 1);
        QFAIL("an infinite importance weight was accepted");
    } catch (const qb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("column 3 ")), e.what());
    }
}

void TestKernelsIq2::neighbourListsMatchSortedSearch_data() {
    QTest::addColumn<int>("book");
    QTest::addColumn<int>("nearest");
    QTest::newRow("256 (IQ2_XXS)") << int(qb::iq2::Codebook::Points256) << 2;
    QTest::newRow("512 (IQ2_XS)") << int(qb::iq2::Codebook::Points512) << 2;
    QTest::newRow("1024 (IQ2_S)") << int(qb::iq2::Codebook::Points1024) << 1;
    QTest::newRow("2048 (IQ1_S, IQ1_M)") << int(qb::iq2::Codebook::Points2048) << 3;
}

void TestKernelsIq2::neighbourListsMatchSortedSearch() {
    QFETCH(int, book);
    QFETCH(int, nearest);
    const qb::iq2::GridIndex &grid = qb::iq2::gridIndex(qb::iq2::Codebook(book));
    const qb::iq2::CodebookPoints points = qb::iq2::codebookPoints(qb::iq2::Codebook(book));
    QCOMPARE(grid.size(), points.size);
    int onGrid = 0, offGrid = 0;
    // Every key with levels 0..2 (the only ones the quantizers form), visited as base-3 numbers.
    for (int n = 0; n < 6561; ++n) {
        int key = 0;
        for (int e = 0, v = n; e < 8; ++e, v /= 3) key |= (v % 3) << (2 * e);
        const int index = grid.pointIndex(uint16_t(key));
        if (index >= 0) {
            QCOMPARE(int(points.points[index]), key);
            ++onGrid;
            continue;
        }
        ++offGrid;
        const uint16_t *list = grid.neighboursOf(uint16_t(key));
        const std::vector<uint16_t> got(list + 1, list + 1 + list[0]);
        QVERIFY2(got == sortedNeighbours(grid, key, nearest), qPrintable(QString::number(key)));
    }
    QCOMPARE(onGrid, points.size);
    QCOMPARE(onGrid + offGrid, 6561);
}

void TestKernelsIq2::indexIsBuiltOnce() {
    const auto *a = &qb::iq2::gridIndex(qb::iq2::Codebook::Points2048);
    const auto *b = &qb::iq2::gridIndex(qb::iq2::Codebook::Points2048);
    QCOMPARE(a, b);
    QVERIFY(&qb::iq2::gridIndex(qb::iq2::Codebook::Points256) != a);
}

QTEST_GUILESS_MAIN(TestKernelsIq2)
#include "tst_kernels_iq2.moc"
