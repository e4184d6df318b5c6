// Every file in ../shared/golden/pure: quantizing tiny.f16.gguf tensor by tensor to the type
// each tensor has in that file (with the importance matrix the golden README names) gives
// exactly the tensor bytes llama-quantize wrote.
#include "golden.h"

#include "imatrix/importance_matrix.h"
#include "kernels/kernels.h"

#include <QDir>
#include <QtTest>

#include <optional>

class TestKernelsPure : public QObject {
    Q_OBJECT
private slots:
    void tensorsMatchLlamaQuantize_data();
    void tensorsMatchLlamaQuantize();
};

void TestKernelsPure::tensorsMatchLlamaQuantize_data() {
    QTest::addColumn<QString>("file");
    const QDir dir(QString::fromStdString(qbtest::golden("pure").string()));
    const QStringList files = dir.entryList({QStringLiteral("*.gguf")}, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 40);
    for (const QString &f : files) QTest::newRow(qPrintable(f)) << f;
}

void TestKernelsPure::tensorsMatchLlamaQuantize() {
    QFETCH(QString, file);
    const auto source = qb::GgufFile::open(qbtest::golden("models/tiny.f16.gguf"));
    const auto expected = qb::GgufFile::open(qbtest::golden("pure/" + file.toStdString()));

    std::optional<qb::ImportanceMatrix> imatrix;
    if (file.endsWith(QLatin1String(".imatrix.gguf"))) {
        static const QStringList withEmbd = {QStringLiteral("IQ2_XXS"), QStringLiteral("IQ2_XS"), QStringLiteral("IQ2_S"),
                                             QStringLiteral("IQ1_S"), QStringLiteral("IQ1_M")};
        const bool embd = withEmbd.contains(file.section(QLatin1Char('.'), 0, 0));
        imatrix = qb::ImportanceMatrix::load(
            qbtest::golden(embd ? "imatrix/tiny.f16.with-embd.imatrix.dat" : "imatrix/tiny.f16.imatrix.dat"));
    }

    QCOMPARE(expected->tensors().size(), source->tensors().size());
    for (const auto &want : expected->tensors()) {
        const qb::GgufTensorInfo *src = source->findTensor(want.name);
        QVERIFY2(src, want.name.c_str());
        QCOMPARE(want.ne, src->ne);
        const std::vector<float> weights = qbtest::tensorAsF32(*source, want.name);
        const std::vector<float> *importance = imatrix ? imatrix->find(want.name) : nullptr;
        QVERIFY2(qb::canQuantize(want.type), qb::typeName(want.type));
        std::vector<uint8_t> out(want.nbytes);
        qb::quantizeRows(want.type, weights.data(), out.data(), src->rows(), src->rowLength(),
                         importance ? importance->data() : nullptr, 2, qb::RuleSet::B4748);  // b4748's files
        const auto ref = expected->tensorData(want);
        QVERIFY2(std::equal(out.begin(), out.end(), ref.begin(), ref.end()),
                 qPrintable(QStringLiteral("%1 (%2) differs").arg(QString::fromStdString(want.name),
                                                                  QLatin1String(qb::typeName(want.type)))));
    }
}

QTEST_GUILESS_MAIN(TestKernelsPure)
#include "tst_kernels_pure.moc"
