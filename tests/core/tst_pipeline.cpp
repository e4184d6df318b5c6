// The streaming pipeline: executing a plan reproduces llama-quantize's whole files, and
// cancellation or failure at any point leaves nothing on disk and the input untouched.
#include "golden.h"

#include "error.h"
#include "gguf/gguf_file.h"
#include "imatrix/importance_matrix.h"
#include "pipeline/quantize_pipeline.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <optional>

namespace {

// The plan that turns tiny.f16.gguf into a given pure file: its metadata, its types, and the
// importance matrix the golden README names.
struct PurePlan {
    std::unique_ptr<qb::GgufModel> source;
    std::unique_ptr<qb::GgufFile> expected;
    std::optional<qb::ImportanceMatrix> imatrix;
    qb::ExecutionPlan plan;
};

PurePlan planFor(const QString &pureFile) {
    PurePlan p;
    p.source = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    p.expected = qb::GgufFile::open(qbtest::golden("pure/" + pureFile.toStdString()));
    if (pureFile.endsWith(QLatin1String(".imatrix.gguf"))) {
        const QString label = pureFile.section(QLatin1Char('.'), 0, 0);
        const bool embd = QStringList{QStringLiteral("IQ2_XXS"), QStringLiteral("IQ2_XS"), QStringLiteral("IQ2_S"),
                                      QStringLiteral("IQ1_S"), QStringLiteral("IQ1_M")}
                              .contains(label);
        p.imatrix = qb::ImportanceMatrix::load(
            qbtest::golden(embd ? "imatrix/tiny.f16.with-embd.imatrix.dat" : "imatrix/tiny.f16.imatrix.dat"));
    }
    p.plan.metadata = p.expected->metadata();
    for (const auto &want : p.expected->tensors()) {
        const auto &tensors = p.source->tensors();
        size_t index = 0;
        while (tensors[index].info->name != want.name) ++index;
        qb::PlannedTensor t{index, want.type, {}};
        if (p.imatrix)
            if (const auto *imp = p.imatrix->find(want.name)) t.importance = *imp;
        p.plan.tensors.push_back(t);
    }
    return p;
}

QStringList filesIn(const QString &dir) { return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System); }

} // namespace

class TestPipeline : public QObject {
    Q_OBJECT
private slots:
    void reproducesPureFiles_data();
    void reproducesPureFiles();
    void cancelAtEveryTensorLeavesNothing();
    void badPlanIsRefusedBeforeWriting();
    void refusesToOverwriteInput();
    void nonFiniteInputIsRefused_data();
    void nonFiniteInputIsRefused();
};

void TestPipeline::reproducesPureFiles_data() {
    QTest::addColumn<QString>("file");
    for (const char *f : {"Q4_K_M.gguf", "Q8_0.imatrix.gguf", "Q2_K.imatrix.gguf", "IQ4_XS.gguf", "F16.gguf",
                          "IQ2_XXS.imatrix.gguf", "TQ1_0.gguf"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

void TestPipeline::reproducesPureFiles() {
    QFETCH(QString, file);
    const PurePlan p = planFor(file);
    QTemporaryDir dir;
    const std::filesystem::path out = dir.filePath(QStringLiteral("out.gguf")).toStdString();
    qb::PipelineOptions options;
    options.threads = 2;
    size_t progressCalls = 0;
    options.progress = [&](const qb::PipelineProgress &pr) {
        QCOMPARE(pr.tensorIndex, progressCalls);
        ++progressCalls;
    };
    const qb::PipelineResult r = qb::runQuantization(*p.source, p.plan, out, options);
    QCOMPARE(progressCalls, p.plan.tensors.size());
    const auto written = qbtest::readAll(out);
    const auto expected = qbtest::readAll(qbtest::golden("pure/" + file.toStdString()));
    QCOMPARE(r.fileBytes, uint64_t(expected.size()));
    QVERIFY2(written == expected, "output differs from llama-quantize's file");
    QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("out.gguf")});
}

void TestPipeline::cancelAtEveryTensorLeavesNothing() {
    const PurePlan p = planFor(QStringLiteral("Q4_K_M.gguf"));
    const auto before = qbtest::sha256Hex(qbtest::readAll(qbtest::golden("models/tiny.f16.gguf")).data(),
                                          size_t(p.source->totalFileSize()));
    for (size_t at = 0; at < p.plan.tensors.size(); ++at) {
        QTemporaryDir dir;
        std::atomic<bool> cancel{false};
        qb::PipelineOptions options;
        options.threads = 2;
        options.cancel = &cancel;
        options.progress = [&](const qb::PipelineProgress &pr) {
            if (pr.tensorIndex == at) cancel = true;
        };
        try {
            qb::runQuantization(*p.source, p.plan, dir.filePath(QStringLiteral("out.gguf")).toStdString(), options);
            QFAIL(qPrintable(QStringLiteral("not cancelled at tensor %1").arg(at)));
        } catch (const qb::Error &e) {
            QCOMPARE(e.kind(), qb::ErrorKind::Cancelled);
        }
        QVERIFY2(filesIn(dir.path()).isEmpty(), qPrintable(filesIn(dir.path()).join(QLatin1Char(' '))));
    }
    const auto after = qbtest::sha256Hex(qbtest::readAll(qbtest::golden("models/tiny.f16.gguf")).data(),
                                         size_t(p.source->totalFileSize()));
    QCOMPARE(after, before);
}

void TestPipeline::badPlanIsRefusedBeforeWriting() {
    PurePlan p = planFor(QStringLiteral("Q4_K_M.gguf"));
    static const std::vector<float> wrongLength(100, 1.0f);
    p.plan.tensors[3].importance = wrongLength;
    QTemporaryDir dir;
    try {
        qb::runQuantization(*p.source, p.plan, dir.filePath(QStringLiteral("out.gguf")).toStdString(), {});
        QFAIL("a wrong-length importance vector was accepted");
    } catch (const qb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("importance data has 100 values")), e.what());
    }
    QVERIFY(filesIn(dir.path()).isEmpty());
}

void TestPipeline::refusesToOverwriteInput() {
    QTemporaryDir dir;
    const QString copy = dir.filePath(QStringLiteral("in.gguf"));
    QVERIFY(QFile::copy(QString::fromStdString(qbtest::golden("models/tiny.f16.gguf").string()), copy));
    const auto source = qb::GgufModel::open(copy.toStdString());
    PurePlan p = planFor(QStringLiteral("Q4_K_M.gguf"));
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::runQuantization(*source, p.plan, copy.toStdString(), {}));
    QCOMPARE(qbtest::readAll(copy.toStdString()), qbtest::readAll(qbtest::golden("models/tiny.f16.gguf")));
}

void TestPipeline::nonFiniteInputIsRefused_data() {
    // llama-quantize loads with check_tensors: NaN or infinity in a tensor it quantizes or copies is refused.
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<quint64>("element");
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("NaN in a quantized F16 tensor") << QStringLiteral("blk.1.ffn_up.weight") << quint64(70000)
                                                   << QByteArray::fromHex("007e");
    QTest::newRow("-inf in a quantized F16 tensor") << QStringLiteral("token_embd.weight") << quint64(0)
                                                    << QByteArray::fromHex("00fc");
    QTest::newRow("+inf in a copied F32 norm") << QStringLiteral("blk.0.attn_norm.weight") << quint64(255)
                                               << QByteArray::fromHex("0000807f");
}

void TestPipeline::nonFiniteInputIsRefused() {
    QFETCH(QString, tensor);
    QFETCH(quint64, element);
    QFETCH(QByteArray, value);
    QTemporaryDir dir;
    const QString input = dir.filePath(QStringLiteral("in.gguf"));
    QVERIFY(QFile::copy(QString::fromStdString(qbtest::golden("models/tiny.f16.gguf").string()), input));
    QVERIFY(QFile::setPermissions(input, QFile::ReadOwner | QFile::WriteOwner));
    {
        const auto layout = qb::GgufFile::open(input.toStdString());
        const qb::GgufTensorInfo *info = layout->findTensor(tensor.toStdString());
        QVERIFY(info);
        QFile f(input);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.seek(qint64(layout->dataOffset() + info->offset + element * quint64(value.size()))));
        QCOMPARE(f.write(value), qint64(value.size()));
    }
    const auto source = qb::GgufModel::open(input.toStdString());
    const PurePlan p = planFor(QStringLiteral("Q4_K_M.gguf"));
    QTemporaryDir out;
    try {
        qb::runQuantization(*source, p.plan, out.filePath(QStringLiteral("out.gguf")).toStdString(), {});
        QFAIL("non-finite data was accepted");
    } catch (const qb::Error &e) {
        const QString want = QStringLiteral("tensor '%1' has invalid data: element %2 is NaN or infinite").arg(tensor).arg(element);
        QVERIFY2(QString::fromUtf8(e.what()).contains(want), e.what());
    }
    QVERIFY(filesIn(out.path()).isEmpty());
}

QTEST_GUILESS_MAIN(TestPipeline)
#include "tst_pipeline.moc"
