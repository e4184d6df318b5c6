// The GGUF reader on the golden models: metadata, tensor infos and data as the files hold them.
#include "golden.h"

#include "gguf/gguf_file.h"

#include <QtTest>

class TestGgufReader : public QObject {
    Q_OBJECT
private slots:
    void opensEveryGoldenModel_data();
    void opensEveryGoldenModel();
    void tinyModelLayout();
};

void TestGgufReader::opensEveryGoldenModel_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("tensorCount");
    // 2 layers x 9 tensors + token_embd, output_norm, output.
    QTest::newRow("tiny") << "models/tiny.f16.gguf" << 21;
    QTest::newRow("llama256") << "models/llama256.f16.gguf" << 75;
    QTest::newRow("llama288") << "models/llama288.f32.gguf" << 39;
    QTest::newRow("bf16") << "models/llama256.bf16.gguf" << 21;
    QTest::newRow("stories260K") << "models/stories260K.f32.gguf" << 48;
}

void TestGgufReader::opensEveryGoldenModel() {
    QFETCH(QString, file);
    QFETCH(int, tensorCount);
    const auto gguf = qb::GgufFile::open(qbtest::golden(file.toStdString()));
    QCOMPARE(int(gguf->tensors().size()), tensorCount);
    QCOMPARE(gguf->findString("general.architecture").value_or(""), std::string("llama"));
    uint64_t end = 0;
    for (const auto &t : gguf->tensors()) end = std::max(end, gguf->dataOffset() + t.offset + t.nbytes);
    QVERIFY(end <= gguf->fileSize());
    QVERIFY(gguf->fileSize() - end < gguf->alignment());
}

void TestGgufReader::tinyModelLayout() {
    const auto gguf = qb::GgufFile::open(qbtest::golden("models/tiny.f16.gguf"));
    QCOMPARE(gguf->version(), 3u);
    const qb::GgufTensorInfo *up = gguf->findTensor("blk.0.ffn_up.weight");
    QVERIFY(up);
    QCOMPARE(up->type, qb::GgmlType::F16);
    QCOMPARE(up->nDims, 2u);
    QCOMPARE(up->ne[0], 256);
    QCOMPARE(up->ne[1], 512);
    QCOMPARE(up->nbytes, uint64_t(256 * 512 * 2));
    const qb::GgufTensorInfo *norm = gguf->findTensor("output_norm.weight");
    QVERIFY(norm);
    QCOMPARE(norm->type, qb::GgmlType::F32);
    QCOMPARE(norm->nDims, 1u);
    QCOMPARE(gguf->findInt("llama.block_count").value_or(-1), 2);
    QCOMPARE(gguf->findInt("llama.embedding_length").value_or(-1), 256);
}

QTEST_GUILESS_MAIN(TestGgufReader)
#include "tst_gguf_reader.moc"
