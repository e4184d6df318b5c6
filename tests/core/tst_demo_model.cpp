// The generated benchmark model: valid GGUF a llama-quantize run accepts, deterministic, sized as asked.
#include "golden.h"

#include "demo/demo_model.h"
#include "error.h"
#include "mix/mix_rules.h"

#include <QTemporaryDir>
#include <QtTest>

class TestDemoModel : public QObject {
    Q_OBJECT
  private slots:
    void deterministicAndValid();
    void sizedAsAsked();
};

void TestDemoModel::deterministicAndValid() {
    QTemporaryDir dir;
    qb::DemoModelSpec spec;
    spec.embedding = 256;
    spec.feedForward = 512;
    spec.layers = 2;
    spec.heads = 4;
    spec.kvHeads = 1;
    spec.vocab = 300;
    const auto a = dir.filePath(QStringLiteral("a.gguf")).toStdString();
    const auto b = dir.filePath(QStringLiteral("b.gguf")).toStdString();
    const uint64_t size = qb::writeDemoModel(a, spec);
    qb::writeDemoModel(b, spec);
    QCOMPARE(qbtest::readAll(a), qbtest::readAll(b));
    QCOMPARE(uint64_t(std::filesystem::file_size(a)), size);
    spec.seed = 2;
    qb::writeDemoModel(b, spec);
    QVERIFY(qbtest::readAll(a) != qbtest::readAll(b));

    const auto model = qb::GgufModel::open(a);
    QCOMPARE(model->tensors().size(), size_t(2 * 9 + 3));
    QCOMPARE(model->parameterCount(), spec.parameterCount());
    const auto mix = qb::decideMix(*model, *qb::findQuantLabel("Q4_K_M"), {}, nullptr);
    QCOMPARE(mix.fallbackCount, 0);
    for (const auto &d : mix.tensors)
        if (d.name == "blk.1.attn_v.weight") QCOMPARE(d.target, qb::GgmlType::Q6_K); // last eighth of 2 layers

    spec.heads = 3; // 256 is not a multiple of 3 heads
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::writeDemoModel(b, spec));
}

void TestDemoModel::sizedAsAsked() {
    for (uint64_t mb : {300, 1000}) {
        const auto spec = qb::demoSpecForSize(mb * 1000000);
        const double ratio = double(spec.approximateFileBytes()) / double(mb * 1000000);
        QVERIFY2(ratio > 0.9 && ratio < 1.1, qPrintable(QString::number(ratio)));
    }
    QCOMPARE(qb::demoSpecForSize(1).layers, int64_t(1)); // never fewer than one layer
}

QTEST_GUILESS_MAIN(TestDemoModel)
#include "tst_demo_model.moc"
