// GgufModel: a single file, and split sets written as llama.cpp's gguf-split writes them
// (split.no u16 0-based, split.count u16, split.tensors.count i32; name-0000i-of-0000N.gguf),
// opened from any part, with clear errors for missing, inconsistent or duplicated parts.
#include "golden.h"
#include "split_set.h"

#include "error.h"
#include "gguf/gguf_model.h"

#include <QTemporaryDir>
#include <QtTest>

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> writeSplitSet(const qb::GgufFile &source, const QTemporaryDir &dir, int count,
                                    const qbtest::SplitDefect &defect = {}) {
    return qbtest::writeSplitSet(source, dir.path().toStdString(), "tiny", count, defect);
}

void expectError(const fs::path &open, const QString &expected) {
    try {
        qb::GgufModel::open(open);
        QFAIL(qPrintable(QStringLiteral("opened a broken split set; expected: ") + expected));
    } catch (const qb::Error &e) {
        QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
        QVERIFY2(QString::fromStdString(e.what()).contains(expected), e.what());
    }
}

} // namespace

class TestGgufModel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void singleFile();
    void splitSetMatchesOriginal_data();
    void splitSetMatchesOriginal();
    void missingPart();
    void mismatchedCount();
    void mismatchedNumber();
    void duplicateTensor();
    void wrongTensorTotal();
    void splitKeysWithoutSplitName();

private:
    std::unique_ptr<qb::GgufFile> m_tiny;
};

void TestGgufModel::initTestCase() { m_tiny = qb::GgufFile::open(qbtest::golden("models/tiny.f16.gguf")); }

void TestGgufModel::singleFile() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    QCOMPARE(model->splitCount(), size_t(1));
    QCOMPARE(model->tensors().size(), m_tiny->tensors().size());
    QCOMPARE(model->totalFileSize(), m_tiny->fileSize());
    QCOMPARE(model->metadata().size(), m_tiny->metadata().size());
}

void TestGgufModel::splitSetMatchesOriginal_data() {
    QTest::addColumn<int>("parts");
    QTest::addColumn<int>("openPart");  // 1-based
    QTest::newRow("2-from-first") << 2 << 1;
    QTest::newRow("2-from-last") << 2 << 2;
    QTest::newRow("3-from-first") << 3 << 1;
    QTest::newRow("3-from-middle") << 3 << 2;
    QTest::newRow("3-from-last") << 3 << 3;
}

void TestGgufModel::splitSetMatchesOriginal() {
    QFETCH(int, parts);
    QFETCH(int, openPart);
    QTemporaryDir dir;
    const auto paths = writeSplitSet(*m_tiny, dir, parts);
    const auto model = qb::GgufModel::open(paths[size_t(openPart - 1)]);
    QCOMPARE(model->splitCount(), size_t(parts));
    QCOMPARE(model->paths(), paths);

    // Metadata: the first part's, i.e. the original's plus the split keys.
    QCOMPARE(model->metadata().size(), m_tiny->metadata().size() + 3);
    for (size_t i = 0; i < m_tiny->metadata().size(); ++i) QCOMPARE(model->metadata()[i].key, m_tiny->metadata()[i].key);
    QCOMPARE(model->find("split.count")->toInt().value_or(0), parts);

    const auto &original = m_tiny->tensors();
    QCOMPARE(model->tensors().size(), original.size());
    uint64_t fileTotal = 0;
    for (const auto &p : paths) fileTotal += uint64_t(fs::file_size(p));
    QCOMPARE(model->totalFileSize(), fileTotal);
    for (size_t i = 0; i < original.size(); ++i) {
        const auto &t = model->tensors()[i];
        QCOMPARE(t.info->name, original[i].name);
        QCOMPARE(t.info->type, original[i].type);
        QCOMPARE(t.info->ne, original[i].ne);
        const auto got = model->tensorData(t);
        const auto want = m_tiny->tensorData(original[i]);
        QVERIFY2(std::equal(got.begin(), got.end(), want.begin(), want.end()), original[i].name.c_str());
        QVERIFY(model->findTensor(original[i].name) == &t);
    }
    QCOMPARE(model->tensors().back().split, size_t(parts - 1));
    uint64_t params = 0;
    for (const auto &t : original) params += uint64_t(t.elements());
    QCOMPARE(model->parameterCount(), params);
}

void TestGgufModel::missingPart() {
    QTemporaryDir dir;
    const auto paths = writeSplitSet(*m_tiny, dir, 3);
    fs::remove(paths[1]);
    expectError(paths[0], QLatin1Char('\'') + QString::fromStdString(paths[1].string()) + QLatin1String("' is missing"));
    expectError(paths[2], QStringLiteral("part 2 of 3"));
}

void TestGgufModel::mismatchedCount() {
    QTemporaryDir dir;
    const auto paths = writeSplitSet(*m_tiny, dir, 3, {.badCountPart = 2});
    expectError(paths[0], QString::fromStdString(paths[2].string() + ": split.count is 4 but the set has 3 parts"));
    // Opened from the damaged part itself, its name and its key disagree.
    expectError(paths[2], QStringLiteral("the name says 3 parts but split.count is 4"));
}

void TestGgufModel::mismatchedNumber() {
    QTemporaryDir dir;
    const auto paths = writeSplitSet(*m_tiny, dir, 2, {.badNoPart = 1});
    expectError(paths[0], QString::fromStdString(paths[1].string() + ": split.no is 2 but the file is part 2"));
}

void TestGgufModel::duplicateTensor() {
    QTemporaryDir dir;
    const auto paths = writeSplitSet(*m_tiny, dir, 3, {.duplicateInto = 2});
    expectError(paths[1], QString::fromStdString(paths[2].string() + ": tensor '" + m_tiny->tensors().front().name +
                                                 "' is also in " + paths[0].string()));
}

void TestGgufModel::wrongTensorTotal() {
    QTemporaryDir dir;
    const auto paths = writeSplitSet(*m_tiny, dir, 2, {.tensorsCountDelta = 1});
    expectError(paths[0], QStringLiteral("split.tensors.count is 22 but the 2 parts hold 21 tensors"));
}

void TestGgufModel::splitKeysWithoutSplitName() {
    QTemporaryDir dir;
    const auto paths = writeSplitSet(*m_tiny, dir, 2);
    const fs::path renamed = fs::path(dir.path().toStdString()) / "renamed.gguf";
    fs::rename(paths[0], renamed);
    expectError(renamed, QStringLiteral("the other parts cannot be found"));
}

QTEST_GUILESS_MAIN(TestGgufModel)
#include "tst_gguf_model.moc"
