// The demo model: deterministic bytes, llama-style layout the mix rules accept, row lengths that
// are multiples of 256, heavy-tailed weights with outlier columns.
#include "golden.h"

#include "demo/demo_model.h"
#include "error.h"
#include "float_convert.h"
#include "gguf/gguf_model.h"
#include "mix/mix_rules.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

class TestDemoModel : public QObject {
    Q_OBJECT
private slots:
    void deterministicAndWellFormed();
    void weightsAreHeavyTailedWithOutlierColumns();
    void badSpecIsRefused();
};

void TestDemoModel::deterministicAndWellFormed() {
    QTemporaryDir dir;
    const std::string a = dir.filePath(QStringLiteral("a.gguf")).toStdString();
    const std::string b = dir.filePath(QStringLiteral("b.gguf")).toStdString();
    const qb::DemoModelInfo info = qb::writeDemoModel(a);
    qb::writeDemoModel(b);
    QCOMPARE(qbtest::readAll(a), qbtest::readAll(b));

    const auto model = qb::GgufModel::open(a);
    QCOMPARE(model->parameterCount(), info.parameters);
    QVERIFY(info.parameters > 2'000'000 && info.parameters < 20'000'000);
    QCOMPARE(model->totalFileSize(), info.fileBytes);
    QCOMPARE(int(model->tensors().size()), info.tensors);
    for (const auto &t : model->tensors()) {
        QCOMPARE(t.info->rowLength() % 256, int64_t(0));
        QCOMPARE(t.info->type, t.info->nDims >= 2 ? qb::GgmlType::F16 : qb::GgmlType::F32);
    }
    // The mix rules read it like a llama model: Q4_K_M gives attn_v and ffn_down their extra bits.
    const qb::MixDecision mix = qb::decideMix(*model, *qb::findQuantLabel("Q4_K_M"), {}, nullptr);
    QCOMPARE(mix.tensors.size(), model->tensors().size());
    bool q6 = false;
    for (const auto &d : mix.tensors) q6 = q6 || d.target == qb::GgmlType::Q6_K;
    QVERIFY(q6);
}

void TestDemoModel::weightsAreHeavyTailedWithOutlierColumns() {
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("demo.gguf")).toStdString();
    qb::writeDemoModel(path);
    const auto model = qb::GgufModel::open(path);
    const auto *t = model->findTensor("blk.0.ffn_up.weight");
    QVERIFY(t);
    const auto data = model->tensorData(*t);
    const auto *h = reinterpret_cast<const uint16_t *>(data.data());
    const int64_t cols = t->info->rowLength(), rows = t->info->rows();
    double m2 = 0, m4 = 0;
    std::vector<double> columnMax(size_t(cols), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
            const double v = qb::fp16ToFp32(h[r * cols + c]);
            m2 += v * v;
            m4 += v * v * v * v;
            columnMax[size_t(c)] = std::max(columnMax[size_t(c)], std::abs(v));
        }
    }
    const double n = double(rows * cols);
    const double kurtosis = (m4 / n) / ((m2 / n) * (m2 / n));
    QVERIFY2(kurtosis > 6.0, qPrintable(QString::number(kurtosis)));  // a Gaussian has 3
    std::vector<double> sorted = columnMax;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    const auto outliers = std::count_if(columnMax.begin(), columnMax.end(), [&](double m) { return m > 4 * median; });
    QVERIFY2(outliers >= 1 && outliers < cols / 10, qPrintable(QString::number(outliers)));
}

void TestDemoModel::badSpecIsRefused() {
    QTemporaryDir dir;
    qb::DemoModelSpec spec;
    spec.embedding = 300;
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::writeDemoModel(dir.filePath(QStringLiteral("x.gguf")).toStdString(), spec));
    QVERIFY(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).isEmpty());
}

QTEST_MAIN(TestDemoModel)
#include "tst_demo_model.moc"
