// The IQ3 family's lazily built grid search structures and its behaviour on degenerate input.
// Its own executable so that the first test really is the first use of the IQ3 grids in the
// process: many threads quantize IQ3_XXS and IQ3_S at the same instant and must all get
// llama.cpp's exact bytes. Built with -DQB_SANITIZE=thread, ThreadSanitizer also reports any
// unsynchronised initialisation (a hand-rolled "if (!ready) build()" fails that way).
#include "golden.h"

#include "kernels/iq3/iq3_blocks.h"
#include "kernels/iq3/iq3_grid_index.h"
#include "kernels/iq4/iq4_blocks.h"
#include "kernels/kernels.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <latch>
#include <limits>
#include <thread>

namespace {

constexpr int64_t kRows = 512;
constexpr int64_t kCols = 256;

const std::vector<float> &goldenWeights() {
    static const std::vector<float> w = [] {
        const auto model = qb::GgufFile::open(qbtest::golden("models/tiny.f16.gguf"));
        return qbtest::tensorAsF32(*model, "blk.0.ffn_up.weight");
    }();
    return w;
}

int coordinate(uint32_t point, int k) { return int((point >> (8 * k)) & 0xff); }

int squaredDistance(uint32_t point, int key) {
    int d2 = 0;
    for (int k = 0; k < 4; ++k) {
        const int diff = coordinate(point, k) - (2 * ((key >> (3 * k)) & 7) + 1);
        d2 += diff * diff;
    }
    return d2;
}

} // namespace

class TestKernelsIq3Init : public QObject {
    Q_OBJECT
  private slots:
    void concurrentFirstUseGivesGoldenBytes();
    void gridIndexIsConsistent_data();
    void gridIndexIsConsistent();
    void iq4LevelSearchMatchesGgmlRule();
    void degenerateInputDoesNotCrash_data();
    void degenerateInputDoesNotCrash();
    void zeroRowsDecodeToZero_data();
    void zeroRowsDecodeToZero();
};

void TestKernelsIq3Init::concurrentFirstUseGivesGoldenBytes() {
    const std::vector<float> &weights = goldenWeights(); // loaded before the race: only the grids are contended
    const auto xxsGolden = qbtest::readAll(qbtest::golden("rows/IQ3_XXS.bin"));
    const auto sGolden = qbtest::readAll(qbtest::golden("rows/IQ3_S.bin"));
    const int64_t xxsRow = qb::rowSizeBytes(qb::GgmlType::IQ3_XXS, kCols);
    const int64_t sRow = qb::rowSizeBytes(qb::GgmlType::IQ3_S, kCols);

    // Each thread quantizes a few rows of both types; all start together so the first calls race.
    constexpr int kThreads = 16;
    constexpr int64_t kRowsEach = 4;
    std::vector<std::vector<uint8_t>> xxs(kThreads), s(kThreads);
    std::vector<const void *> indexSeen(2 * kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> pool;
    for (int t = 0; t < kThreads; ++t) {
        pool.emplace_back([&, t] {
            const int64_t row0 = (t * 31) % (kRows - kRowsEach);
            const float *src = weights.data() + row0 * kCols;
            xxs[t].resize(size_t(kRowsEach * xxsRow));
            s[t].resize(size_t(kRowsEach * sRow));
            start.arrive_and_wait();
            // Alternate the order so both codebooks see concurrent first use.
            if (t % 2) {
                qb::quantizeRows(qb::GgmlType::IQ3_S, src, s[t].data(), kRowsEach, kCols, nullptr, 1);
                qb::quantizeRows(qb::GgmlType::IQ3_XXS, src, xxs[t].data(), kRowsEach, kCols, nullptr, 1);
            } else {
                qb::quantizeRows(qb::GgmlType::IQ3_XXS, src, xxs[t].data(), kRowsEach, kCols, nullptr, 1);
                qb::quantizeRows(qb::GgmlType::IQ3_S, src, s[t].data(), kRowsEach, kCols, nullptr, 1);
            }
            indexSeen[size_t(2 * t)] = &qb::iq3::iq3GridIndex(qb::iq3::Iq3Codebook::Xxs256);
            indexSeen[size_t(2 * t + 1)] = &qb::iq3::iq3GridIndex(qb::iq3::Iq3Codebook::S512);
        });
    }
    for (std::thread &th : pool)
        th.join();

    for (int t = 0; t < kThreads; ++t) {
        const int64_t row0 = (t * 31) % (kRows - kRowsEach);
        QVERIFY2(std::equal(xxs[t].begin(), xxs[t].end(), xxsGolden.begin() + row0 * xxsRow),
                 qPrintable(QStringLiteral("IQ3_XXS bytes of thread %1").arg(t)));
        QVERIFY2(std::equal(s[t].begin(), s[t].end(), sGolden.begin() + row0 * sRow),
                 qPrintable(QStringLiteral("IQ3_S bytes of thread %1").arg(t)));
        // One structure per codebook, shared by every thread.
        QCOMPARE(indexSeen[size_t(2 * t)], indexSeen[0]);
        QCOMPARE(indexSeen[size_t(2 * t + 1)], indexSeen[1]);
    }
    QVERIFY(indexSeen[0] != indexSeen[1]);
}

void TestKernelsIq3Init::gridIndexIsConsistent_data() {
    QTest::addColumn<int>("codebook");
    QTest::addColumn<int>("gridSize");
    QTest::addColumn<int>("nwant");
    QTest::newRow("IQ3_XXS") << int(qb::iq3::Iq3Codebook::Xxs256) << 256 << 2;
    QTest::newRow("IQ3_S") << int(qb::iq3::Iq3Codebook::S512) << 512 << 3;
}

// The properties ggml's iq3xs_init_impl guarantees, checked by brute force over all 4096 tuples.
void TestKernelsIq3Init::gridIndexIsConsistent() {
    QFETCH(int, codebook);
    QFETCH(int, gridSize);
    QFETCH(int, nwant);
    const auto &index = qb::iq3::iq3GridIndex(qb::iq3::Iq3Codebook(codebook));
    QCOMPARE(index.gridSize, gridSize);
    QCOMPARE(int(index.points.size()), gridSize);

    int onGrid = 0;
    for (int key = 0; key < 4096; ++key) {
        const int32_t entry = index.map[size_t(key)];
        if (entry >= 0) {
            ++onGrid;
            QVERIFY(entry < gridSize);
            QCOMPARE(squaredDistance(index.points[size_t(entry)], key), 0);
            continue;
        }
        const uint16_t *list = index.neighboursOf(entry);
        const int count = list[0];
        QVERIFY(count >= 1);
        // Exactly the points at the nwant smallest distinct distances, ordered by (distance, index).
        std::vector<int> distances;
        for (uint32_t p : index.points)
            distances.push_back(squaredDistance(p, key));
        std::vector<int> distinct = distances;
        std::sort(distinct.begin(), distinct.end());
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        const int cutoff = distinct[size_t(std::min<int>(nwant, int(distinct.size())) - 1)];
        const auto expected =
            int(std::count_if(distances.begin(), distances.end(), [&](int d) { return d <= cutoff; }));
        QCOMPARE(count, expected);
        QVERIFY(count <= index.maxNeighbours);
        // The SIMD copy of the coordinates: chunks of 4 neighbours, coordinate-major.
        const float *soa = index.neighbourCoords.data() + index.coordOffset[size_t(key)];
        for (int j = 0; j < count; ++j)
            for (int k = 0; k < 4; ++k)
                QCOMPARE(soa[16 * (j / 4) + 4 * k + j % 4], float(coordinate(index.points[list[j + 1]], k)));
        for (int j = 1; j <= count; ++j) {
            QVERIFY(list[j] < gridSize);
            if (j > 1) {
                const int prev = distances[list[j - 1]], cur = distances[list[j]];
                QVERIFY(prev < cur || (prev == cur && list[j - 1] < list[j]));
            }
        }
    }
    QCOMPARE(onGrid, gridSize); // every grid point is a distinct tuple
}

// The IQ4 level search: ggml's b4748 answers at exact midpoints (the upper level), at the ends and
// for NaN, and the fast (table) form agreeing with the plain search everywhere on a fine sweep.
void TestKernelsIq3Init::iq4LevelSearchMatchesGgmlRule() {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const float fixed[] = {-115.5f, std::nextafter(-115.5f, -200.f), -127.f, -200.f, 113.f, 112.9f,
                           -4.5f,   std::nextafter(-4.5f, -200.f),   nan,    -inf,   inf,   0.f};
    const uint8_t expected[] = {1, 0, 0, 0, 15, 15, 8, 7, 15, 0, 15, 8};
    uint8_t got[12];
    for (bool simd : {false, true}) {
        qb::iq4::iq4Levels(fixed, 1.f, 12, got, simd);
        for (int i = 0; i < 12; ++i)
            QCOMPARE(int(got[i]), int(expected[i]));
    }
    // The fast form is a table of the steps between levels, found by bisection: 16 floats either
    // side of every quarter (the exact midpoints between levels are halves or integers).
    std::vector<float> sweep;
    for (float v = -140.f; v <= 140.f; v += 0.25f) {
        sweep.push_back(v);
        float below = v, above = v;
        for (int k = 0; k < 16; ++k) {
            sweep.push_back(below = std::nextafter(below, -inf));
            sweep.push_back(above = std::nextafter(above, inf));
        }
    }
    while (sweep.size() % 4)
        sweep.push_back(0.f);
    std::vector<uint8_t> scalar(sweep.size()), simd(sweep.size());
    for (float scale : {1.f, -1.f, 0.37f, 1e-3f}) {
        qb::iq4::iq4Levels(sweep.data(), scale, int(sweep.size()), scalar.data(), false);
        qb::iq4::iq4Levels(sweep.data(), scale, int(sweep.size()), simd.data(), true);
        QVERIFY(scalar == simd);
    }
}

void TestKernelsIq3Init::degenerateInputDoesNotCrash_data() {
    QTest::addColumn<QString>("typeName");
    for (const char *t : {"IQ3_XXS", "IQ3_S", "IQ4_NL", "IQ4_XS"})
        QTest::newRow(t) << QString::fromLatin1(t);
}

// Zero, NaN and infinite weights, exact ties, and all-zero importance: ggml asserts on some of
// these; we must neither crash nor depend on the thread count or on the SIMD path.
void TestKernelsIq3Init::degenerateInputDoesNotCrash() {
    QFETCH(QString, typeName);
    const qb::GgmlType type = *qb::typeFromName(typeName.toStdString());
    constexpr int64_t rows = 7;
    std::vector<float> x(size_t(rows * kCols));
    for (size_t i = 0; i < x.size(); ++i)
        x[i] = float(std::sin(double(i) * 0.37)) * 0.02f;
    std::fill(x.begin(), x.begin() + kCols, 0.f);                       // row 0: zeros
    std::fill(x.begin() + kCols + 32, x.begin() + kCols + 64, 0.f);     // row 1: one zero group
    x[size_t(2 * kCols + 5)] = std::numeric_limits<float>::quiet_NaN(); // row 2: a NaN
    x[size_t(3 * kCols + 9)] = std::numeric_limits<float>::infinity();  // row 3: an infinity
    std::fill(x.begin() + 4 * kCols, x.begin() + 5 * kCols, 1e-30f);    // row 4: denormal-scale
    // Row 5: +-127 and the exact midpoints between IQ4 levels (and their negatives), so the
    // level search meets exact ties at the scales it tries.
    const float levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    for (int j = 0; j < kCols; ++j) {
        const int i = j % 15;
        const float mid = (levels[i] + levels[i + 1]) / 2;
        x[size_t(5 * kCols + j)] = j % 32 == 0 ? 127.f : ((j / 15) % 2 ? -mid : mid);
    }
    const std::vector<float> zeroImportance(size_t(kCols), 0.f);
    const size_t bytes = size_t(rows * qb::rowSizeBytes(type, kCols));
    for (const float *importance : {static_cast<const float *>(nullptr), zeroImportance.data()}) {
        std::vector<uint8_t> one(bytes), three(bytes);
        QCOMPARE(qb::quantizeRows(type, x.data(), one.data(), rows, kCols, importance, 1), bytes);
        QCOMPARE(qb::quantizeRows(type, x.data(), three.data(), rows, kCols, importance, 3), bytes);
        QVERIFY(one == three);
        // The SIMD paths take the same decisions as the scalar reference, NaN and ties included.
        std::vector<uint8_t> reference(bytes);
        qb::quantizeRowsReference(type, x.data(), reference.data(), rows, kCols, importance);
        QVERIFY(one == reference);
        std::vector<float> back(x.size());
        qb::dequantizeRows(type, one.data(), back.data(), rows, kCols, 2);
    }
}

void TestKernelsIq3Init::zeroRowsDecodeToZero_data() { degenerateInputDoesNotCrash_data(); }

void TestKernelsIq3Init::zeroRowsDecodeToZero() {
    QFETCH(QString, typeName);
    const qb::GgmlType type = *qb::typeFromName(typeName.toStdString());
    const std::vector<float> zeros(size_t(2 * kCols), 0.f);
    std::vector<uint8_t> q(size_t(2 * qb::rowSizeBytes(type, kCols)));
    qb::quantizeRows(type, zeros.data(), q.data(), 2, kCols, nullptr, 1);
    std::vector<float> back(zeros.size(), 1.f);
    qb::dequantizeRows(type, q.data(), back.data(), 2, kCols, 1);
    for (float v : back)
        QVERIFY(v == 0.f);
}

QTEST_GUILESS_MAIN(TestKernelsIq3Init)
#include "tst_kernels_iq3_init.moc"
