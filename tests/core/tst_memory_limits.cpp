// Limits that protect the machine: a file claiming billions of tensors or keys, or strings and
// arrays of terabytes, is refused before anything is allocated for it (small files and sparse
// files alike), and the streaming pipeline holds a few tensors in memory, never the model.
//
// Measured with this executable's own global operator new/delete, which count live, peak and
// largest single heap allocations (all C++ allocations of core go through them). RSS is not a
// usable measure here: the input is memory-mapped, so reading it raises RSS by the file size.
#include "golden.h"

#include "error.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "imatrix/importance_matrix.h"
#include "pipeline/quantize_pipeline.h"

#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <unistd.h>

namespace {

std::atomic<uint64_t> g_live{0}, g_peak{0}, g_largest{0}, g_total{0};

// Each block carries its size in a 16-byte prefix (keeps the alignment malloc gives).
constexpr size_t kPrefix = 16;

void *countedAlloc(size_t size) noexcept {
    void *raw = std::malloc(size + kPrefix);
    if (!raw) return nullptr;
    std::memcpy(raw, &size, sizeof size);
    const uint64_t live = g_live.fetch_add(size) + size;
    uint64_t peak = g_peak.load();
    while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {}
    uint64_t largest = g_largest.load();
    while (size > largest && !g_largest.compare_exchange_weak(largest, size)) {}
    g_total.fetch_add(size);
    return static_cast<char *>(raw) + kPrefix;
}

void countedFree(void *p) noexcept {
    if (!p) return;
    void *raw = static_cast<char *>(p) - kPrefix;
    size_t size;
    std::memcpy(&size, raw, sizeof size);
    g_live.fetch_sub(size);
    std::free(raw);
}

void *countedNew(size_t size) {
    if (void *p = countedAlloc(size)) return p;
    throw std::bad_alloc();
}

// Counters since the last reset(): peak is relative to what was live at the reset.
struct HeapWatch {
    uint64_t base = 0;
    HeapWatch() { reset(); }
    void reset() {
        base = g_live.load();
        g_peak = base;
        g_largest = 0;
        g_total = 0;
    }
    uint64_t peak() const { return g_peak.load() - base; }
    uint64_t largest() const { return g_largest.load(); }
    uint64_t total() const { return g_total.load(); }
};

} // namespace

void *operator new(size_t size) { return countedNew(size); }
void *operator new[](size_t size) { return countedNew(size); }
void *operator new(size_t size, const std::nothrow_t &) noexcept { return countedAlloc(size); }
void *operator new[](size_t size, const std::nothrow_t &) noexcept { return countedAlloc(size); }
void operator delete(void *p) noexcept { countedFree(p); }
void operator delete[](void *p) noexcept { countedFree(p); }
void operator delete(void *p, size_t) noexcept { countedFree(p); }
void operator delete[](void *p, size_t) noexcept { countedFree(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { countedFree(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { countedFree(p); }

namespace {

// A GGUF header built by hand, with whatever counts and lengths a test claims.
struct Bytes {
    std::vector<uint8_t> data;
    template <typename T>
    Bytes &put(T v) {
        const size_t at = data.size();
        data.resize(at + sizeof v);
        std::memcpy(data.data() + at, &v, sizeof v);
        return *this;
    }
    Bytes &str(const std::string &s) {
        put<uint64_t>(s.size());
        data.insert(data.end(), s.begin(), s.end());
        return *this;
    }
    Bytes &pad(size_t n) {
        data.resize(data.size() + n, 0);
        return *this;
    }
};

Bytes gguf(uint64_t tensors, uint64_t keys) {
    Bytes b;
    b.data = {'G', 'G', 'U', 'F'};
    return b.put<uint32_t>(3).put<uint64_t>(tensors).put<uint64_t>(keys);
}

constexpr uint32_t kTypeString = 8, kTypeArray = 9, kTypeU8 = 0;

// A large file that occupies no disk: the header at the start, zeros (a hole) up to size.
void writeSparse(const std::string &path, const std::vector<uint8_t> &header, uint64_t size) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    QVERIFY(fd >= 0);
    QCOMPARE(::write(fd, header.data(), header.size()), ssize_t(header.size()));
    QCOMPARE(::ftruncate(fd, off_t(size)), 0);
    ::close(fd);
}

// A GGUF importance matrix header: general.type = "imatrix" and F32 tensors of the given shapes,
// laid out one after another (32-byte aligned). Returns the header, padded; *dataBytes gets the
// size of the data section the tensors claim.
struct ImatrixTensor {
    std::string name;
    uint64_t ne0, ne1;
};
Bytes imatrixGguf(const std::vector<ImatrixTensor> &tensors, uint64_t *dataBytes) {
    Bytes b = gguf(tensors.size(), 1);
    b.str("general.type").put<uint32_t>(kTypeString).str("imatrix");
    uint64_t offset = 0;
    for (const ImatrixTensor &t : tensors) {
        b.str(t.name).put<uint32_t>(2).put<uint64_t>(t.ne0).put<uint64_t>(t.ne1).put<uint32_t>(0).put<uint64_t>(offset);
        offset += (t.ne0 * t.ne1 * 4 + 31) / 32 * 32;
    }
    b.pad((32 - b.data.size() % 32) % 32);
    *dataBytes = offset;
    return b;
}

// A legacy .dat entry header: name length, name, call count, value count (the values follow).
Bytes datEntry(const std::string &name, int32_t nval) {
    Bytes b;
    b.put<int32_t>(int32_t(name.size()));
    b.data.insert(b.data.end(), name.begin(), name.end());
    return b.put<int32_t>(1).put<int32_t>(nval);
}

// A sparse file of `size` bytes holding the given pieces at their offsets, zeros (holes) elsewhere.
void writeSparsePieces(const std::string &path, const std::vector<std::pair<uint64_t, Bytes>> &pieces, uint64_t size) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    QVERIFY(fd >= 0);
    for (const auto &[at, bytes] : pieces)
        QCOMPARE(::pwrite(fd, bytes.data.data(), bytes.data.size(), off_t(at)), ssize_t(bytes.data.size()));
    QCOMPARE(::ftruncate(fd, off_t(size)), 0);
    ::close(fd);
}

// Writes a model of `count` F16 tensors of rows x cols (random-ish values) with GgufWriter.
void writeModel(const std::filesystem::path &path, int count, int64_t rows, int64_t cols) {
    std::vector<qb::GgufTensorPlan> plans;
    for (int i = 0; i < count; ++i)
        plans.push_back({"blk." + std::to_string(i) + ".ffn_up.weight", qb::GgmlType::F16, 2, {cols, rows, 1, 1}});
    qb::GgufWriter writer(path, {{"general.architecture", qb::GgufValue(std::string("llama"))}}, plans);
    std::vector<uint16_t> data(size_t(rows * cols));
    for (int i = 0; i < count; ++i) {
        for (size_t j = 0; j < data.size(); ++j) data[j] = uint16_t(0x3000 + ((j * 2654435761u + i) >> 7) % 0x0c00);
        writer.writeTensor({reinterpret_cast<const uint8_t *>(data.data()), data.size() * 2});
    }
    writer.commit();
}

// Peak heap bytes while quantizing every tensor of the model at path to Q8_0.
uint64_t quantizePeak(const std::filesystem::path &path, const std::filesystem::path &out) {
    const auto model = qb::GgufModel::open(path);
    qb::ExecutionPlan plan;
    plan.metadata = model->metadata();
    for (size_t i = 0; i < model->tensors().size(); ++i) plan.tensors.push_back({i, qb::GgmlType::Q8_0, {}});
    qb::PipelineOptions options;
    options.threads = 2;
    HeapWatch watch;
    qb::runQuantization(*model, plan, out, options);
    return watch.peak();
}

} // namespace

class TestMemoryLimits : public QObject {
    Q_OBJECT
private slots:
    void hostileCountsAreRefusedBeforeAllocating_data();
    void hostileCountsAreRefusedBeforeAllocating();
    void hostileImportanceCountsAreRefused();
    void sparseFileClaimingHugeValuesIsRefused_data();
    void sparseFileClaimingHugeValuesIsRefused();
    void sparseImportanceMatrixIsRefused_data();
    void sparseImportanceMatrixIsRefused();
    void importanceEntryCountIsBounded();
    void pipelineHoldsAFewTensorsNotTheModel();
};

void TestMemoryLimits::hostileCountsAreRefusedBeforeAllocating_data() {
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("expected");
    auto row = [](const char *name, const Bytes &b, const char *expected) {
        QTest::newRow(name) << QByteArray(reinterpret_cast<const char *>(b.data.data()), qsizetype(b.data.size()))
                            << QString::fromLatin1(expected);
    };
    row("4 billion tensors", gguf(uint64_t(1) << 32, 0).pad(256), "tensor count 4294967296 is larger than the file");
    row("2^62 keys", gguf(0, uint64_t(1) << 62).pad(256), "metadata key count 4611686018427387904 is larger");
    row("1 TB key", gguf(0, 1).put<uint64_t>(uint64_t(1) << 40).pad(64), "claims a length of 1099511627776 bytes");
    row("1 TB string value",
        gguf(0, 1).str("general.name").put<uint32_t>(kTypeString).put<uint64_t>(uint64_t(1) << 40).pad(64),
        "claims a length of 1099511627776 bytes");
    row("2^40-item array",
        gguf(0, 1).str("tokenizer.ggml.scores").put<uint32_t>(kTypeArray).put<uint32_t>(kTypeU8)
            .put<uint64_t>(uint64_t(1) << 40).pad(64),
        "array of 1099511627776 u8 is larger than the file could hold");
    row("1 TB tensor name", gguf(1, 0).put<uint64_t>(uint64_t(1) << 40).pad(64), "claims a length of 1099511627776");
}

void TestMemoryLimits::hostileCountsAreRefusedBeforeAllocating() {
    QFETCH(QByteArray, file);
    QFETCH(QString, expected);
    HeapWatch watch;
    try {
        qb::GgufFile::parse({reinterpret_cast<const uint8_t *>(file.constData()), size_t(file.size())}, "hostile");
        QFAIL("parsed");
    } catch (const qb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(expected), e.what());
    }
    // Only the error message and small bookkeeping: nothing sized by the claimed count.
    QVERIFY2(watch.largest() < 4096, qPrintable(QString::number(watch.largest())));
    QVERIFY2(watch.total() < 64 * 1024, qPrintable(QString::number(watch.total())));
}

void TestMemoryLimits::hostileImportanceCountsAreRefused() {
    for (const auto &[bytes, expected] :
         {std::pair{Bytes().put<int32_t>(0x40000000).pad(64), "entry count 1073741824 is not possible"},
          std::pair{Bytes().put<int32_t>(1).put<int32_t>(4).put<uint32_t>(0x64636261).put<int32_t>(1).put<int32_t>(0x40000000).pad(64),
                    "has a value count of 1073741824"}}) {
        HeapWatch watch;
        try {
            qb::ImportanceMatrix::parseLegacy(bytes.data, "hostile.dat");
            QFAIL("parsed");
        } catch (const qb::Error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String(expected)), e.what());
        }
        QVERIFY2(watch.largest() < 4096, qPrintable(QString::number(watch.largest())));
    }
}

// A sparse file of 3 GiB "holds" a string or an array of gigabytes while using no disk: the counts
// pass the bytes-remaining check, so the header's memory budget must refuse them.
void TestMemoryLimits::sparseFileClaimingHugeValuesIsRefused_data() {
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QString>("expected");
    auto row = [](const char *name, const Bytes &b, const char *expected) {
        QTest::newRow(name) << QByteArray(reinterpret_cast<const char *>(b.data.data()), qsizetype(b.data.size()))
                            << QString::fromLatin1(expected);
    };
    const uint64_t big = uint64_t(5) << 29;  // 2.5 GiB
    row("2.5 GiB string", gguf(0, 1).str("general.name").put<uint32_t>(kTypeString).put<uint64_t>(big),
        "of 2684354560 bytes would make the header need more than 1024 MiB");
    row("2.5 G-item array",
        gguf(0, 1).str("tokenizer.ggml.token_type").put<uint32_t>(kTypeArray).put<uint32_t>(kTypeU8).put<uint64_t>(big),
        "array of 2684354560 u8 would make the header need more than 1024 MiB");
    // 40 M one-byte items pass on their own but cost ~1.6 GB as GgufValues.
    row("40 M-item array",
        gguf(0, 1).str("tokenizer.ggml.token_type").put<uint32_t>(kTypeArray).put<uint32_t>(kTypeU8)
            .put<uint64_t>(40'000'000),
        "array of 40000000 u8 would make the header need more than 1024 MiB");
}

void TestMemoryLimits::sparseFileClaimingHugeValuesIsRefused() {
    QFETCH(QByteArray, header);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("sparse.gguf")).toStdString();
    writeSparse(path, {header.begin(), header.end()}, uint64_t(3) << 30);
    HeapWatch watch;
    try {
        qb::GgufFile::open(path);
        QFAIL("opened");
    } catch (const qb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(expected), e.what());
    }
    QVERIFY2(watch.largest() < 4096, qPrintable(QString::number(watch.largest())));
}

// Importance matrices in sparse files: every claim fits the file, so only the limits on values per
// entry, values in all, name lengths and entry counts stand between the file and gigabytes of
// memory. Each is refused before anything is allocated for values.
void TestMemoryLimits::sparseImportanceMatrixIsRefused_data() {
    // The files are laid out by row number in sparseImportanceMatrixIsRefused().
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<int>("row");
    QTest::addColumn<QString>("expected");
    auto row = [](const char *name, const char *file, int index, const char *expected) {
        QTest::newRow(name) << QString::fromLatin1(file) << index << QString::fromLatin1(expected);
    };
    row("dat: 8 GiB entry", "m.dat", 0, "byte 31: entry 'blk.0.ffn_up.weight' has a value count of 2147483647, more than the 33554432");
    row("dat: entry just over the limit", "m.dat", 1, "byte 31: entry 'blk.0.ffn_up.weight' has a value count of 33554433");
    row("dat: 1 GiB name", "m.dat", 2, "byte 4: entry #0 has a name length of 1073741824, more than 1024 bytes");
    row("dat: 17 entries of 32 Mi values", "m.dat", 3, "entry 'e16' brings the matrix to more than 536870912 values");
    row("dat: 1 GiB dataset name", "m.dat", 4, "dataset name length 1073741824 is more than 65536 bytes");
    row("gguf: entry just over the limit", "m.gguf", 5, "tensor 'a.in_sum2' (data at byte 160): 33558528 values, more than the 33554432");
    row("gguf: 17 entries of 32 Mi values", "m.gguf", 6, "tensor 'e16.in_sum2' (data at byte");
}

void TestMemoryLimits::sparseImportanceMatrixIsRefused() {
    QFETCH(QString, fileName);
    QFETCH(int, row);
    QFETCH(QString, expected);
    constexpr int32_t kOver = int32_t(qb::kMaxImatrixEntryValues) + 1;
    constexpr uint64_t kEntry = uint64_t(qb::kMaxImatrixEntryValues);
    std::vector<std::pair<uint64_t, Bytes>> pieces;
    uint64_t size = 0;
    switch (row) {
    case 0:  // one entry of 2^31 - 1 values (8 GiB as floats) in a 9 GiB file
        pieces.push_back({0, Bytes().put<int32_t>(1)});
        pieces.push_back({4, datEntry("blk.0.ffn_up.weight", 0x7fffffff)});
        size = uint64_t(9) << 30;
        break;
    case 1:  // one value past the limit: before the limit this was a plain 128 MiB allocation
        pieces.push_back({0, Bytes().put<int32_t>(1)});
        pieces.push_back({4, datEntry("blk.0.ffn_up.weight", kOver)});
        size = 64 + uint64_t(kOver) * 4;
        break;
    case 2:  // a name of 1 GiB
        pieces.push_back({0, Bytes().put<int32_t>(1).put<int32_t>(1 << 30)});
        size = uint64_t(3) << 30;
        break;
    case 3: {  // each entry within the limit, together 17 x 128 MiB
        pieces.push_back({0, Bytes().put<int32_t>(17)});
        uint64_t at = 4;
        for (int i = 0; i < 17; ++i) {
            Bytes e = datEntry("e" + std::to_string(i), int32_t(kEntry));
            const uint64_t headerBytes = e.data.size();
            pieces.push_back({at, std::move(e)});
            at += headerBytes + kEntry * 4;
        }
        size = at;
        break;
    }
    case 4:  // a valid entry, then the trailer: chunk count and a dataset name of 1 GiB
        pieces.push_back({0, Bytes().put<int32_t>(1)});
        pieces.push_back({4, datEntry("w", 1).put<float>(1.0f).put<int32_t>(10).put<int32_t>(1 << 30)});
        size = uint64_t(3) << 30;
        break;
    case 5:
    case 6: {
        std::vector<ImatrixTensor> tensors;
        if (row == 5) {
            tensors = {{"a.in_sum2", 4096, 8193}, {"a.counts", 1, 8193}};
        } else {
            for (int i = 0; i < 17; ++i) {
                tensors.push_back({"e" + std::to_string(i) + ".in_sum2", 4096, 8192});
                tensors.push_back({"e" + std::to_string(i) + ".counts", 1, 8192});
            }
        }
        uint64_t dataBytes = 0;
        Bytes header = imatrixGguf(tensors, &dataBytes);
        size = header.data.size() + dataBytes;
        pieces.push_back({0, std::move(header)});
        break;
    }
    default: QFAIL("no such row");
    }
    QTemporaryDir dir;
    const std::string path = dir.filePath(fileName).toStdString();
    writeSparsePieces(path, pieces, size);
    HeapWatch watch;
    try {
        qb::ImportanceMatrix::load(path);
        QFAIL("loaded");
    } catch (const qb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).startsWith(QString::fromStdString(path + ": ")), e.what());
        QVERIFY2(QString::fromUtf8(e.what()).contains(expected), e.what());
    }
    QVERIFY2(watch.largest() < 64 * 1024, qPrintable(QString::number(watch.largest())));
}

// More entries than any model has weight matrices: refused by count, and the GGUF format's lookup
// of each entry's .counts partner is by hash (this file has 131074 tensors).
void TestMemoryLimits::importanceEntryCountIsBounded() {
    const int n = int(qb::kMaxImatrixEntries) + 1;
    Bytes dat = Bytes().put<int32_t>(n);
    for (int i = 0; i < n; ++i) {
        const Bytes e = datEntry("e" + std::to_string(i), 1).put<float>(1.0f);
        dat.data.insert(dat.data.end(), e.data.begin(), e.data.end());
    }
    try {
        qb::ImportanceMatrix::parseLegacy(dat.data, "many.dat");
        QFAIL("parsed");
    } catch (const qb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).startsWith(QLatin1String("many.dat: byte 0: entry count 65537 is more than the 65536")), e.what());
    }

    std::vector<ImatrixTensor> tensors;
    for (int i = 0; i < n; ++i) {
        tensors.push_back({"e" + std::to_string(i) + ".in_sum2", 1, 1});
        tensors.push_back({"e" + std::to_string(i) + ".counts", 1, 1});
    }
    uint64_t dataBytes = 0;
    Bytes gg = imatrixGguf(tensors, &dataBytes);
    gg.pad(dataBytes);
    try {
        qb::ImportanceMatrix::parseGguf(gg.data, "many.gguf");
        QFAIL("parsed");
    } catch (const qb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("many.gguf: tensor 'e65536.in_sum2'")), e.what());
        QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("more than 65536 entries")), e.what());
    }
    // One fewer is a valid matrix.
    tensors.resize(tensors.size() - 2);
    Bytes ok = imatrixGguf(tensors, &dataBytes);
    ok.pad(dataBytes);
    QCOMPARE(qb::ImportanceMatrix::parseGguf(ok.data, "ok.gguf").entries().size(), size_t(n - 1));
}

// 4 and 48 tensors of 512 x 256 (512 KiB each as F32): the peak must not grow with the count and
// must stay within six tensors (the queues hold one each; reader, quantizer and writer
// one more each at most).
void TestMemoryLimits::pipelineHoldsAFewTensorsNotTheModel() {
    constexpr int64_t rows = 512, cols = 256;
    constexpr uint64_t tensorF32 = uint64_t(rows * cols) * 4;
    QTemporaryDir dir;
    const std::filesystem::path few = dir.filePath(QStringLiteral("few.gguf")).toStdString();
    const std::filesystem::path many = dir.filePath(QStringLiteral("many.gguf")).toStdString();
    writeModel(few, 4, rows, cols);
    writeModel(many, 48, rows, cols);
    const uint64_t peakFew = quantizePeak(few, dir.filePath(QStringLiteral("few.q8.gguf")).toStdString());
    const uint64_t peakMany = quantizePeak(many, dir.filePath(QStringLiteral("many.q8.gguf")).toStdString());
    qInfo("peak heap: %llu bytes with 4 tensors, %llu with 48 (one tensor as F32: %llu; model as F32: %llu)",
          (unsigned long long)peakFew, (unsigned long long)peakMany, (unsigned long long)tensorF32,
          (unsigned long long)(48 * tensorF32));
    QVERIFY2(peakMany <= 6 * tensorF32, "the pipeline holds more than six tensors' worth of memory");
    // Stage overlap varies from run to run, so the comparison allows a few tensors of slack; growth
    // with the model would be 44 more tensors.
    QVERIFY2(peakMany <= peakFew + 3 * tensorF32, "peak memory grows with the number of tensors");
}

QTEST_GUILESS_MAIN(TestMemoryLimits)
#include "tst_memory_limits.moc"
