// qb::tensorBytesAt, the one "bytes of this tensor at type T" every size estimate uses (quantize's
// dry run, analysis summaries, the GUI's mix, quality chart and quantize dialog): checked against
// the tensor sizes llama-quantize itself wrote (golden pure/ files from models/tiny.f16.gguf).
#include "golden.h"

#include "gguf/gguf_model.h"
#include "gguf/tensor_bytes.h"

#include <QtTest>

class TstTensorBytes : public QObject {
    Q_OBJECT
private slots:
    void storedTypeIsTheFilesSize() {
        const auto model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
        QVERIFY(!model->tensors().empty());
        for (const auto &t : model->tensors())
            QCOMPARE(qb::tensorBytesAt(*t.info, t.info->type), t.info->nbytes);
    }

    void matchesLlamaQuantizesOutput_data() {
        QTest::addColumn<QString>("label");
        for (const char *label : {"Q4_0", "Q5_1", "Q8_0", "Q2_K", "Q4_K_M", "Q6_K", "IQ3_XXS", "IQ4_XS", "TQ1_0",
                                  "IQ1_S.imatrix", "IQ2_XS.imatrix"})
            QTest::newRow(label) << QString::fromLatin1(label);
    }
    void matchesLlamaQuantizesOutput() {
        QFETCH(QString, label);
        const auto source = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
        const auto output = qb::GgufModel::open(qbtest::golden("pure/" + label.toStdString() + ".gguf"));
        QCOMPARE(output->tensors().size(), source->tensors().size());
        int converted = 0;
        for (const auto &out : output->tensors()) {
            const auto *in = source->findTensor(out.info->name);
            QVERIFY2(in, out.info->name.c_str());
            QCOMPARE(qb::tensorBytesAt(*in->info, out.info->type), out.info->nbytes);
            converted += out.info->type != in->info->type;
        }
        QVERIFY(converted > 0);  // the label changed some tensors: the formula met another type
    }
};

QTEST_GUILESS_MAIN(TstTensorBytes)
#include "tst_tensor_bytes.moc"
