// The GGUF writer: golden files written back byte for byte, every metadata type, validation
// before the first byte, no partial output after failure or abandonment, the input never
// overwritten, and a full disk (RLIMIT_FSIZE) reported as a runtime error.
#include "file_size_limit.h"
#include "golden.h"

#include "error.h"
#include "gguf/gguf_writer.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <fstream>

#include <sys/resource.h>

namespace {

namespace fs = std::filesystem;

std::vector<qb::GgufTensorPlan> plansOf(const qb::GgufFile &file) {
    std::vector<qb::GgufTensorPlan> plans;
    for (const auto &t : file.tensors()) plans.push_back({t.name, t.type, t.nDims, t.ne});
    return plans;
}

// Writes every tensor of source to target with the given writer; throws what the writer throws.
void writeAll(qb::GgufWriter &writer, const qb::GgufFile &source) {
    for (const auto &t : source.tensors()) writer.writeTensor(source.tensorData(t));
}

QStringList filesIn(const QString &dir) { return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System); }

fs::path pathIn(const QTemporaryDir &dir, const char *name) { return fs::path(dir.path().toStdString()) / name; }

void writeBytes(const fs::path &path, const std::vector<uint8_t> &bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
}

using qbtest::FileSizeLimit;

qb::GgufValue array(qb::GgufValueType type, std::vector<qb::GgufValue> items) {
    return qb::GgufValue(qb::GgufArray{type, std::move(items)});
}

} // namespace

class TestGgufWriter : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void roundTripIsByteIdentical_data();
    void roundTripIsByteIdentical();
    void everyValueTypeRoundTrips();
    void honoursCustomAlignment();
    void destructionWithoutCommitLeavesNothing();
    void exceptionMidwayLeavesNothing();
    void misuseIsRejected();
    void invalidPlansAreRejected_data();
    void invalidPlansAreRejected();
    void refusesToOverwriteInput();
    void refusesFolderTarget();
    void diskFull_data();
    void diskFull();

private:
    std::unique_ptr<qb::GgufFile> m_tiny;
};

void TestGgufWriter::initTestCase() {
    // Without this, exceeding RLIMIT_FSIZE kills the process instead of failing write() with EFBIG.
    std::signal(SIGXFSZ, SIG_IGN);
    m_tiny = qb::GgufFile::open(qbtest::golden("models/tiny.f16.gguf"));
}

void TestGgufWriter::roundTripIsByteIdentical_data() {
    QTest::addColumn<QString>("file");
    for (const char *folder : {"models", "pure", "imatrix"}) {
        std::vector<std::string> names;
        for (const auto &entry : fs::directory_iterator(qbtest::golden(folder)))
            if (entry.path().extension() == ".gguf") names.push_back(entry.path().filename().string());
        std::sort(names.begin(), names.end());
        QVERIFY2(!names.empty(), folder);
        for (const auto &name : names) {
            const std::string rel = std::string(folder) + "/" + name;
            QTest::newRow(rel.c_str()) << QString::fromStdString(rel);
        }
    }
}

void TestGgufWriter::roundTripIsByteIdentical() {
    QFETCH(QString, file);
    const fs::path input = qbtest::golden(file.toStdString());
    const auto source = qb::GgufFile::open(input);
    QTemporaryDir dir;
    const fs::path out = pathIn(dir, "copy.gguf");
    {
        qb::GgufWriter writer(out, source->metadata(), plansOf(*source), {input});
        QCOMPARE(writer.fileSize(), source->fileSize());
        for (size_t i = 0; i < source->tensors().size(); ++i)
            QCOMPARE(writer.tensorInfos()[i].offset, source->tensors()[i].offset);
        writeAll(writer, *source);
        writer.commit();
    }
    const std::vector<uint8_t> want = qbtest::readAll(input);
    const std::vector<uint8_t> got = qbtest::readAll(out);
    QCOMPARE(got.size(), want.size());
    const auto mismatch = std::mismatch(got.begin(), got.end(), want.begin());
    QVERIFY2(mismatch.first == got.end(),
             qPrintable(QStringLiteral("first difference at byte %1").arg(mismatch.first - got.begin())));
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("copy.gguf")});
}

void TestGgufWriter::everyValueTypeRoundTrips() {
    using T = qb::GgufValueType;
    std::vector<qb::GgufKeyValue> kv{
        {"t.u8", qb::GgufValue(uint8_t(200))},
        {"t.i8", qb::GgufValue(int8_t(-100))},
        {"t.u16", qb::GgufValue(uint16_t(60000))},
        {"t.i16", qb::GgufValue(int16_t(-30000))},
        {"t.u32", qb::GgufValue(uint32_t(4000000000u))},
        {"t.i32", qb::GgufValue(int32_t(-2000000000))},
        {"t.f32", qb::GgufValue(1.5f)},
        {"t.bool", qb::GgufValue(true)},
        {"t.string", qb::GgufValue(std::string("h\0llo", 5))},
        {"t.u64", qb::GgufValue(uint64_t(1) << 63)},
        {"t.i64", qb::GgufValue(int64_t(-1) << 62)},
        {"t.f64", qb::GgufValue(-2.25)},
        {"t.empty", array(T::Int32, {})},
        {"t.strings", array(T::String, {qb::GgufValue(std::string("a")), qb::GgufValue(std::string())})},
        {"t.bools", array(T::Bool, {qb::GgufValue(false), qb::GgufValue(true)})},
        {"t.nested", array(T::Array, {array(T::UInt16, {qb::GgufValue(uint16_t(7))}),
                                      array(T::Array, {array(T::Float64, {qb::GgufValue(0.5)})})})},
    };
    QTemporaryDir dir;
    const fs::path out = pathIn(dir, "values.gguf");
    {
        qb::GgufWriter writer(out, kv, {{"x", qb::GgmlType::F32, 1, {3, 1, 1, 1}}});
        const std::vector<uint8_t> data(12, 0xAB);
        writer.writeTensor(data);
        writer.commit();
        QCOMPARE(uint64_t(fs::file_size(out)), writer.fileSize());
    }
    const auto back = qb::GgufFile::open(out);
    QCOMPARE(back->version(), 3u);
    QCOMPARE(back->metadata().size(), kv.size());
    for (size_t i = 0; i < kv.size(); ++i) {
        QCOMPARE(back->metadata()[i].key, kv[i].key);
        QCOMPARE(back->metadata()[i].value.type(), kv[i].value.type());
        QCOMPARE(back->metadata()[i].value.toDisplayString(100), kv[i].value.toDisplayString(100));
    }
    QCOMPARE(*back->find("t.string")->string(), std::string("h\0llo", 5));
    const qb::GgufArray *nested = back->find("t.nested")->array();
    QVERIFY(nested);
    const qb::GgufArray *inner = nested->items[1].array()->items[0].array();
    QCOMPARE(inner->elementType, T::Float64);
    QCOMPARE(std::get<double>(inner->items[0].value), 0.5);
    QCOMPARE(back->tensors().size(), size_t(1));
    QCOMPARE(back->fileSize() % 32, uint64_t(0));
}

void TestGgufWriter::honoursCustomAlignment() {
    QTemporaryDir dir;
    const fs::path out = pathIn(dir, "aligned.gguf");
    {
        qb::GgufWriter writer(out, {{"general.alignment", qb::GgufValue(uint32_t(256))}},
                              {{"a", qb::GgmlType::F32, 1, {3, 1, 1, 1}}, {"b", qb::GgmlType::Q4_0, 2, {64, 2, 1, 1}}});
        QCOMPARE(writer.tensorInfos()[1].offset, uint64_t(256));
        QCOMPARE(writer.tensorInfos()[1].nbytes, uint64_t(4 * 18));
        writer.writeTensor(std::vector<uint8_t>(12, 1));
        writer.writeTensor(std::vector<uint8_t>(72, 2));
        writer.commit();
    }
    const auto back = qb::GgufFile::open(out);
    QCOMPARE(back->alignment(), uint64_t(256));
    QCOMPARE(back->dataOffset() % 256, uint64_t(0));
    QCOMPARE(back->fileSize(), back->dataOffset() + 512);
    const auto b = back->tensorData(*back->findTensor("b"));
    QVERIFY(std::all_of(b.begin(), b.end(), [](uint8_t v) { return v == 2; }));
}

void TestGgufWriter::destructionWithoutCommitLeavesNothing() {
    QTemporaryDir dir;
    {
        qb::GgufWriter writer(pathIn(dir, "out.gguf"), m_tiny->metadata(), plansOf(*m_tiny));
        // An unnamed file (O_TMPFILE): nothing in the folder while writing, not even hidden.
        QCOMPARE(filesIn(dir.path()).size(), 0);
        for (size_t i = 0; i < 5; ++i) writer.writeTensor(m_tiny->tensorData(m_tiny->tensors()[i]));
    }
    QVERIFY(filesIn(dir.path()).isEmpty());
    {
        // Where O_TMPFILE is missing: a hidden name with this process's id, removed on abandon.
        qputenv("QB_TEST_NO_O_TMPFILE", "1");
        qb::GgufWriter writer(pathIn(dir, "out.gguf"), m_tiny->metadata(), plansOf(*m_tiny));
        qunsetenv("QB_TEST_NO_O_TMPFILE");
        QCOMPARE(filesIn(dir.path()).size(), 1);
        const QString temp = filesIn(dir.path()).front();
        QVERIFY2(temp.startsWith(QStringLiteral(".out.gguf.qbtmp-%1-").arg(QCoreApplication::applicationPid())) &&
                     temp.endsWith(QLatin1String(".partial")),
                 qPrintable(temp));
        for (size_t i = 0; i < 5; ++i) writer.writeTensor(m_tiny->tensorData(m_tiny->tensors()[i]));
    }
    QVERIFY(filesIn(dir.path()).isEmpty());
    {
        qb::GgufWriter writer(pathIn(dir, "out.gguf"), m_tiny->metadata(), plansOf(*m_tiny));
        writeAll(writer, *m_tiny);  // complete but never committed
    }
    QVERIFY(filesIn(dir.path()).isEmpty());
}

void TestGgufWriter::exceptionMidwayLeavesNothing() {
    QTemporaryDir dir;
    const fs::path out = pathIn(dir, "out.gguf");
    writeBytes(out, {1, 2, 3});
    bool thrown = false;
    try {
        qb::GgufWriter writer(out, m_tiny->metadata(), plansOf(*m_tiny));
        for (size_t i = 0; i < m_tiny->tensors().size(); ++i) {
            if (i == 7) throw std::runtime_error("quantization failed");
            writer.writeTensor(m_tiny->tensorData(m_tiny->tensors()[i]));
        }
        writer.commit();
    } catch (const std::runtime_error &) {
        thrown = true;
    }
    QVERIFY(thrown);
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("out.gguf")});
    QCOMPARE(qbtest::readAll(out), (std::vector<uint8_t>{1, 2, 3}));
}

void TestGgufWriter::misuseIsRejected() {
    QTemporaryDir dir;
    const fs::path out = pathIn(dir, "out.gguf");
    qb::GgufWriter writer(out, m_tiny->metadata(), plansOf(*m_tiny));
    const auto first = m_tiny->tensorData(m_tiny->tensors()[0]);
    QVERIFY_THROWS_EXCEPTION(qb::Error, writer.writeTensor(first.first(first.size() - 1)));
    std::vector<uint8_t> tooLong(first.begin(), first.end());
    tooLong.push_back(0);
    QVERIFY_THROWS_EXCEPTION(qb::Error, writer.writeTensor(tooLong));
    QVERIFY_THROWS_EXCEPTION(qb::Error, writer.commit());  // nothing written yet
    writer.writeTensor(first);                            // a rejected size wrote nothing
    QVERIFY_THROWS_EXCEPTION(qb::Error, writer.commit());  // 1 of 21
    for (size_t i = 1; i < m_tiny->tensors().size(); ++i) writer.writeTensor(m_tiny->tensorData(m_tiny->tensors()[i]));
    QVERIFY_THROWS_EXCEPTION(qb::Error, writer.writeTensor(first));  // one too many
    QVERIFY(!fs::exists(out));
    writer.commit();
    QCOMPARE(qbtest::readAll(out), qbtest::readAll(qbtest::golden("models/tiny.f16.gguf")));
}

void TestGgufWriter::invalidPlansAreRejected_data() {
    QTest::addColumn<QString>("metadataCase");
    QTest::addColumn<QString>("tensorCase");
    QTest::addColumn<QString>("expected");
    QTest::newRow("name-64-bytes") << "" << "long-name" << "longer than 63";
    QTest::newRow("duplicate-tensor") << "" << "duplicate" << "duplicate tensor name 'w'";
    QTest::newRow("duplicate-key") << "duplicate-key" << "" << "duplicate metadata key 'k'";
    QTest::newRow("empty-key") << "empty-key" << "" << "key is empty";
    QTest::newRow("removed-type") << "" << "type-4" << "unknown type id 4";
    QTest::newRow("unknown-type") << "" << "type-99" << "unknown type id 99";
    QTest::newRow("partial-block") << "" << "partial-block" << "not a whole number of q4_0 blocks";
    QTest::newRow("zero-dim") << "" << "zero-dim" << "dimension 1 is 0";
    QTest::newRow("five-dims") << "" << "five-dims" << "5 dimensions";
    QTest::newRow("stray-dim") << "" << "stray-dim" << "dimension 2 beyond";
    QTest::newRow("alignment-0") << "alignment-0" << "" << "not a non-zero power of two";
    QTest::newRow("alignment-48") << "alignment-48" << "" << "not a non-zero power of two";
    QTest::newRow("alignment-u64") << "alignment-u64" << "" << "must be a u32";
    QTest::newRow("alignment-2^31") << "alignment-2^31" << "" << "is 2147483648, more than 65536 bytes";
    QTest::newRow("mixed-array") << "mixed-array" << "" << "array item 1";
}

void TestGgufWriter::invalidPlansAreRejected() {
    QFETCH(QString, metadataCase);
    QFETCH(QString, tensorCase);
    QFETCH(QString, expected);
    std::vector<qb::GgufKeyValue> kv{{"k", qb::GgufValue(uint32_t(1))}};
    if (metadataCase == QLatin1String("duplicate-key")) kv.push_back({"k", qb::GgufValue(int8_t(2))});
    if (metadataCase == QLatin1String("empty-key")) kv.push_back({"", qb::GgufValue(int8_t(2))});
    if (metadataCase == QLatin1String("alignment-0")) kv.push_back({"general.alignment", qb::GgufValue(uint32_t(0))});
    if (metadataCase == QLatin1String("alignment-48")) kv.push_back({"general.alignment", qb::GgufValue(uint32_t(48))});
    if (metadataCase == QLatin1String("alignment-u64"))
        kv.push_back({"general.alignment", qb::GgufValue(uint64_t(64))});
    if (metadataCase == QLatin1String("alignment-2^31"))
        kv.push_back({"general.alignment", qb::GgufValue(uint32_t(1) << 31)});
    if (metadataCase == QLatin1String("mixed-array"))
        kv.push_back({"a", array(qb::GgufValueType::Int32, {qb::GgufValue(int32_t(1)), qb::GgufValue(1.0f)})});

    std::vector<qb::GgufTensorPlan> plans{{"w", qb::GgmlType::Q4_0, 2, {64, 4, 1, 1}}};
    qb::GgufTensorPlan &w = plans.front();
    if (tensorCase == QLatin1String("long-name")) w.name = std::string(64, 'n');
    if (tensorCase == QLatin1String("duplicate")) plans.push_back(w);
    if (tensorCase == QLatin1String("type-4")) w.type = qb::GgmlType(4);
    if (tensorCase == QLatin1String("type-99")) w.type = qb::GgmlType(99);
    if (tensorCase == QLatin1String("partial-block")) w.ne[0] = 48;
    if (tensorCase == QLatin1String("zero-dim")) w.ne[1] = 0;
    if (tensorCase == QLatin1String("five-dims")) w.nDims = 5;
    if (tensorCase == QLatin1String("stray-dim")) w.ne[2] = 3;

    QTemporaryDir dir;
    try {
        qb::GgufWriter writer(pathIn(dir, "out.gguf"), kv, plans);
        QFAIL("the writer accepted an invalid plan");
    } catch (const qb::Error &e) {
        QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
        QVERIFY2(QString::fromStdString(e.what()).contains(expected, Qt::CaseInsensitive), e.what());
    }
    QVERIFY(filesIn(dir.path()).isEmpty());
}

void TestGgufWriter::refusesToOverwriteInput() {
    QTemporaryDir dir;
    const fs::path input = pathIn(dir, "model.gguf");
    fs::copy_file(qbtest::golden("models/tiny.f16.gguf"), input);
    fs::create_hard_link(input, pathIn(dir, "hardlink.gguf"));
    fs::create_symlink(input, pathIn(dir, "symlink.gguf"));
    fs::create_directory(pathIn(dir, "sub"));
    const std::vector<uint8_t> before = qbtest::readAll(input);
    const auto source = qb::GgufFile::open(input);
    const std::vector<fs::path> targets{input, pathIn(dir, "hardlink.gguf"), pathIn(dir, "symlink.gguf"),
                                        pathIn(dir, "sub") / ".." / "model.gguf", pathIn(dir, "./model.gguf")};
    for (const fs::path &target : targets) {
        try {
            qb::GgufWriter writer(target, source->metadata(), plansOf(*source), {input});
            QFAIL(qPrintable(QString::fromStdString("accepted " + target.string())));
        } catch (const qb::Error &e) {
            QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
            QVERIFY2(std::string(e.what()).find("input") != std::string::npos, e.what());
        }
    }
    // The input named through a relative path is recognised too.
    const fs::path cwd = fs::current_path();
    fs::current_path(dir.path().toStdString());
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::GgufWriter("model.gguf", source->metadata(), plansOf(*source), {input}));
    fs::current_path(cwd);
    QCOMPARE(qbtest::readAll(input), before);
    QCOMPARE(filesIn(dir.path()).size(), 3);
}

void TestGgufWriter::refusesFolderTarget() {
    QTemporaryDir dir;
    fs::create_directory(pathIn(dir, "folder.gguf"));
    try {
        qb::GgufWriter writer(pathIn(dir, "folder.gguf"), m_tiny->metadata(), plansOf(*m_tiny));
        QFAIL("accepted a folder as target");
    } catch (const qb::Error &e) {
        QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
        QVERIFY2(std::string(e.what()).find("folder") != std::string::npos, e.what());
    }
    QVERIFY(filesIn(dir.path()).isEmpty());
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::GgufWriter(pathIn(dir, "missing") / "out.gguf", m_tiny->metadata(),
                                                       plansOf(*m_tiny)));
}

void TestGgufWriter::diskFull_data() {
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<QString>("during");
    QTest::addColumn<bool>("targetExists");
    const auto &tensors = m_tiny->tensors();
    const qint64 data = qint64(m_tiny->dataOffset());
    QTest::newRow("header-start") << qint64(10) << "header" << false;
    QTest::newRow("header-middle") << data / 2 << "header" << true;
    QTest::newRow("header-last-byte") << data - 1 << "header" << false;
    for (size_t i : {size_t(0), size_t(1), size_t(9), tensors.size() - 1}) {
        const auto &t = tensors[i];
        const qint64 start = data + qint64(t.offset);
        const QString name = QString::fromStdString(t.name);
        QTest::newRow(qPrintable(name + "-first-byte")) << start << name << false;
        QTest::newRow(qPrintable(name + "-middle")) << start + qint64(t.nbytes / 2) << name << true;
    }
}

void TestGgufWriter::diskFull() {
    QFETCH(qint64, limit);
    QFETCH(QString, during);
    QFETCH(bool, targetExists);
    QTemporaryDir dir;
    const fs::path out = pathIn(dir, "out.gguf");
    const std::vector<uint8_t> previous{9, 8, 7, 6};
    if (targetExists) writeBytes(out, previous);
    try {
        const FileSizeLimit fsize{rlim_t(limit)};
        qb::GgufWriter writer(out, m_tiny->metadata(), plansOf(*m_tiny));
        writeAll(writer, *m_tiny);
        writer.commit();
        QFAIL("writing past the file size limit succeeded");
    } catch (const qb::Error &e) {
        QCOMPARE(e.kind(), qb::ErrorKind::Runtime);
        const QString message = QString::fromStdString(e.what());
        QVERIFY2(message.contains(QString::fromStdString(out.string())), e.what());
        QVERIFY2(message.contains(during), e.what());
        QVERIFY2(message.contains(QLatin1String("too large")), e.what());  // strerror(EFBIG)
    }
    if (targetExists) {
        QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("out.gguf")});
        QCOMPARE(qbtest::readAll(out), previous);
    } else {
        QVERIFY(filesIn(dir.path()).isEmpty());
    }
}

QTEST_GUILESS_MAIN(TestGgufWriter)
#include "tst_gguf_writer.moc"
