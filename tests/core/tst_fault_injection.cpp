// Fault injection on the streaming pipeline with a golden model: the output's disk fills up at
// every tensor, the input file shrinks at every tensor after it was opened, cancellation at every
// tensor, an importance matrix made for another model. Each must end with a clear qb::Error, no
// file left in the output folder and the input byte for byte unchanged.
// Types: Q8_0 and Q4_0 alternating (1-D tensors copied), so every case runs in milliseconds.
#include "file_size_limit.h"
#include "golden.h"

#include "analysis/model_analyzer.h"
#include "error.h"
#include "gguf/gguf_writer.h"
#include "imatrix/importance_matrix.h"
#include "pipeline/quantize_pipeline.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <optional>

#include <sys/resource.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

// Every 2-D tensor to Q8_0 or Q4_0 (alternating), everything else copied.
qb::ExecutionPlan planFor(const qb::GgufModel &model) {
    qb::ExecutionPlan plan;
    plan.metadata = model.metadata();
    bool q8 = true;
    for (size_t i = 0; i < model.tensors().size(); ++i) {
        const qb::GgufTensorInfo &info = *model.tensors()[i].info;
        qb::GgmlType target = info.type;
        if (info.nDims >= 2 && info.ne[0] % 32 == 0) {
            target = q8 ? qb::GgmlType::Q8_0 : qb::GgmlType::Q4_0;
            q8 = !q8;
        }
        plan.tensors.push_back({i, target, {}});
    }
    return plan;
}

QStringList filesIn(const QString &dir) { return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System); }

QString fileHash(const fs::path &path) {
    const auto bytes = qbtest::readAll(path);
    return qbtest::sha256Hex(bytes.data(), bytes.size());
}

using qbtest::FileSizeLimit;

// Runs the plan and returns the qb::Error it must end with (fails the test if it succeeds).
std::optional<qb::Error> runExpectingError(const qb::GgufModel &model, const qb::ExecutionPlan &plan,
                                           const fs::path &out, const qb::PipelineOptions &options) {
    try {
        qb::runQuantization(model, plan, out, options);
    } catch (const qb::Error &e) {
        return e;
    }
    return std::nullopt;
}

// The output layout the pipeline will write: header size and each tensor's file range.
struct Layout {
    uint64_t dataOffset = 0;
    std::vector<qb::GgufTensorInfo> tensors;
};

Layout outputLayout(const qb::GgufModel &model, const qb::ExecutionPlan &plan, const QString &folder) {
    std::vector<qb::GgufTensorPlan> tensors;
    for (const auto &p : plan.tensors) {
        const qb::GgufTensorInfo &in = *model.tensors()[p.source].info;
        tensors.push_back({in.name, p.target, in.nDims, in.ne});
    }
    // A writer that is never committed lays the file out and leaves nothing behind.
    qb::GgufWriter writer(QDir(folder).filePath(QStringLiteral("layout.gguf")).toStdString(), plan.metadata, tensors);
    Layout layout;
    layout.tensors = writer.tensorInfos();
    const qb::GgufTensorInfo &last = layout.tensors.back();
    layout.dataOffset = writer.fileSize() - (last.offset + (last.nbytes + 31) / 32 * 32);
    return layout;
}

} // namespace

class TestFaultInjection : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void diskFullAtEveryTensor();
    void inputShrinksAtEveryTensor();
    void analysisOfShrunkInputFails();
    void truncatedInputIsRefusedOnOpen();
    void cancelAtEveryTensorIndex();
    void importanceMatrixOfAnotherModel();

private:
    std::unique_ptr<qb::GgufModel> m_model;
    qb::ExecutionPlan m_plan;
    fs::path m_input;
    QString m_inputHash;
};

void TestFaultInjection::initTestCase() {
    m_input = qbtest::golden("models/tiny.f16.gguf");
    m_model = qb::GgufModel::open(m_input);
    m_plan = planFor(*m_model);
    m_inputHash = fileHash(m_input);
    QVERIFY(m_plan.tensors.size() > 10);
}

void TestFaultInjection::diskFullAtEveryTensor() {
    QTemporaryDir dir;
    const Layout layout = outputLayout(*m_model, m_plan, dir.path());
    QVERIFY(filesIn(dir.path()).isEmpty());
    const fs::path out = dir.filePath(QStringLiteral("out.gguf")).toStdString();
    // -1: the disk is full before the header is written; then half-way through every tensor.
    for (int at = -1; at < int(layout.tensors.size()); ++at) {
        const uint64_t limit = at < 0 ? layout.dataOffset / 2
                                      : layout.dataOffset + layout.tensors[size_t(at)].offset +
                                            layout.tensors[size_t(at)].nbytes / 2;
        std::optional<qb::Error> error;
        {
            FileSizeLimit full(limit);
            qb::PipelineOptions options;
            options.threads = 2;
            error = runExpectingError(*m_model, m_plan, out, options);
        }
        QVERIFY2(error, qPrintable(QStringLiteral("no error with the disk full at tensor %1").arg(at)));
        QCOMPARE(error->kind(), qb::ErrorKind::Runtime);
        const QString what = QString::fromUtf8(error->what());
        QVERIFY2(what.contains(QString::fromStdString(out.string())), qPrintable(what));
        const QString during = at < 0 ? QStringLiteral("the header")
                                      : QStringLiteral("tensor '%1'").arg(QString::fromStdString(layout.tensors[size_t(at)].name));
        QVERIFY2(what.contains(during), qPrintable(what + QStringLiteral(" (expected ") + during + QLatin1Char(')')));
        QVERIFY2(filesIn(dir.path()).isEmpty(), qPrintable(filesIn(dir.path()).join(QLatin1Char(' '))));
    }
    QCOMPARE(fileHash(m_input), m_inputHash);
    // With the limit gone the same run succeeds: the failures left no state behind.
    qb::PipelineOptions options;
    options.threads = 2;
    const auto result = qb::runQuantization(*m_model, m_plan, out, options);
    QCOMPARE(uint64_t(fs::file_size(out)), result.fileBytes);
}

// The input is truncated by someone else while the pipeline has it open (mapped). Reading the lost
// pages through the mapping would raise SIGBUS; the pipeline checks the file's current size before
// touching each tensor and stops with an error naming the file and the tensor.
void TestFaultInjection::inputShrinksAtEveryTensor() {
    QTemporaryDir dir;
    const QString copy = dir.filePath(QStringLiteral("in.gguf"));
    const fs::path out = dir.filePath(QStringLiteral("out.gguf")).toStdString();
    for (const auto &cutInside : m_model->tensors()) {
        QFile::remove(copy);
        QVERIFY(QFile::copy(QString::fromStdString(m_input.string()), copy));
        const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(copy.toStdString());
        const uint64_t dataOffset = model->primary().dataOffset();
        const uint64_t cut = dataOffset + cutInside.info->offset + cutInside.info->nbytes / 2;
        QVERIFY(::truncate(copy.toLocal8Bit().constData(), off_t(cut)) == 0);
        // The pipeline reads in plan (header) order: the first tensor reaching past the cut is the
        // one reported, whatever its place in the file.
        const qb::ExecutionPlan plan = planFor(*model);
        std::string firstLost;
        for (const auto &p : plan.tensors) {
            const qb::GgufTensorInfo &info = *model->tensors()[p.source].info;
            if (dataOffset + info.offset + info.nbytes > cut) {
                firstLost = info.name;
                break;
            }
        }
        qb::PipelineOptions options;
        options.threads = 2;
        const auto error = runExpectingError(*model, plan, out, options);
        QVERIFY2(error, qPrintable(QStringLiteral("no error with the input cut inside '%1'")
                                       .arg(QString::fromStdString(cutInside.info->name))));
        QCOMPARE(error->kind(), qb::ErrorKind::Runtime);
        const QString what = QString::fromUtf8(error->what());
        QVERIFY2(what.contains(copy) && what.contains(QStringLiteral("shrank")), qPrintable(what));
        QVERIFY2(what.contains(QStringLiteral("tensor '%1'").arg(QString::fromStdString(firstLost))), qPrintable(what));
        QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("in.gguf")});
    }
}

// The same truncation under the analysis view: every tensor whose data reaches past the cut is
// refused with an error naming the file and the tensor (not SIGBUS); those before it still analyse.
void TestFaultInjection::analysisOfShrunkInputFails() {
    QTemporaryDir dir;
    const QString copy = dir.filePath(QStringLiteral("in.gguf"));
    QVERIFY(QFile::copy(QString::fromStdString(m_input.string()), copy));
    const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(copy.toStdString());
    // Cut in the middle of the data section, inside some tensor.
    const qb::GgufTensorInfo &middle = *model->tensors()[model->tensors().size() / 2].info;
    const uint64_t cut = model->primary().dataOffset() + middle.offset + middle.nbytes / 2;
    QVERIFY(::truncate(copy.toLocal8Bit().constData(), off_t(cut)) == 0);
    qb::ModelAnalyzer analyzer(model, nullptr);
    size_t refused = 0, analysed = 0;
    for (size_t i = 0; i < model->tensors().size(); ++i) {
        const qb::GgufTensorInfo &info = *model->tensors()[i].info;
        if (info.nDims < 2 || info.ne[0] % 32 != 0) continue;
        const bool lost = model->primary().dataOffset() + info.offset + info.nbytes > cut;
        try {
            analyzer.analyze(i, qb::GgmlType::Q8_0, qb::AnalysisMode::Exact, 0);
            QVERIFY2(!lost, qPrintable(QStringLiteral("'%1' was analysed past the cut").arg(QString::fromStdString(info.name))));
            ++analysed;
        } catch (const qb::Error &e) {
            QVERIFY2(lost, e.what());
            QCOMPARE(e.kind(), qb::ErrorKind::Runtime);
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.contains(copy) && what.contains(QStringLiteral("shrank")), e.what());
            QVERIFY2(what.contains(QStringLiteral("tensor '%1'").arg(QString::fromStdString(info.name))), e.what());
            ++refused;
        }
    }
    QVERIFY(refused > 0);
    QVERIFY(analysed > 0);
}

// A file that was already short when opened is refused by the parser, naming the tensor.
void TestFaultInjection::truncatedInputIsRefusedOnOpen() {
    QTemporaryDir dir;
    const QString copy = dir.filePath(QStringLiteral("in.gguf"));
    for (const auto &t : m_model->tensors()) {
        QFile::remove(copy);
        QVERIFY(QFile::copy(QString::fromStdString(m_input.string()), copy));
        const uint64_t cut = m_model->primary().dataOffset() + t.info->offset + t.info->nbytes / 2;
        QVERIFY(::truncate(copy.toLocal8Bit().constData(), off_t(cut)) == 0);
        try {
            qb::GgufModel::open(copy.toStdString());
            QFAIL("a truncated file was opened");
        } catch (const qb::Error &e) {
            QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
            QVERIFY2(QString::fromUtf8(e.what()).contains(copy), e.what());
            QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("file truncated?")), e.what());
        }
    }
}

void TestFaultInjection::cancelAtEveryTensorIndex() {
    QTemporaryDir dir;
    const fs::path out = dir.filePath(QStringLiteral("out.gguf")).toStdString();
    // at == 0: cancelled before the run starts; at == k: as soon as tensor k-1 is written.
    for (size_t at = 0; at < m_plan.tensors.size(); ++at) {
        std::atomic<bool> cancel{at == 0};
        size_t written = 0;
        qb::PipelineOptions options;
        options.threads = 2;
        options.cancel = &cancel;
        options.progress = [&](const qb::PipelineProgress &p) {
            written = p.tensorIndex + 1;
            if (p.tensorIndex + 1 == at) cancel = true;
        };
        const auto error = runExpectingError(*m_model, m_plan, out, options);
        QVERIFY2(error, qPrintable(QStringLiteral("not cancelled at %1").arg(at)));
        QCOMPARE(error->kind(), qb::ErrorKind::Cancelled);
        QVERIFY2(written <= at + 2, qPrintable(QStringLiteral("%1 tensors written after cancelling at %2").arg(written).arg(at)));
        QVERIFY(filesIn(dir.path()).isEmpty());
    }
    QCOMPARE(fileHash(m_input), m_inputHash);
}

// llama288's importance matrix has the same tensor names as tiny's but 288 columns, not 256.
void TestFaultInjection::importanceMatrixOfAnotherModel() {
    const auto imatrix = qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama288.f32.imatrix.dat"));
    qb::ExecutionPlan plan = m_plan;
    size_t used = 0;
    for (auto &p : plan.tensors)
        if (p.target != m_model->tensors()[p.source].info->type)
            if (const auto *v = imatrix.find(m_model->tensors()[p.source].info->name)) {
                p.importance = *v;
                ++used;
            }
    QVERIFY(used > 0);
    QTemporaryDir dir;
    const auto error = runExpectingError(*m_model, plan, dir.filePath(QStringLiteral("out.gguf")).toStdString(), {});
    QVERIFY(error);
    QCOMPARE(error->kind(), qb::ErrorKind::BadInput);
    QVERIFY2(QString::fromUtf8(error->what()).contains(QLatin1String("importance data has 288 values; expected 256")),
             error->what());
    QVERIFY(filesIn(dir.path()).isEmpty());
    QCOMPARE(fileHash(m_input), m_inputHash);
}

QTEST_GUILESS_MAIN(TestFaultInjection)
#include "tst_fault_injection.moc"
