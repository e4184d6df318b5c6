// evaluate refuses a candidate that is not a quantization of the base model. The candidates are
// made here from golden stories260K with the project's GGUF writer: the same tensors, bytes for
// bytes, with one tokenizer key changed (a token's text, a token's score, the vocabulary's length,
// the tokenizer model, a special token id added). Each is refused naming the key and the entry
// that differ, by checkSameModel and by `quantbench-cli evaluate` (exit 2, before any inference,
// so in every build, with or without llama.cpp); an unchanged copy is accepted.
#include "cli_process.h"
#include "error.h"
#include "eval/same_model_check.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_model.h"
#include "gguf/gguf_writer.h"
#include "golden.h"

#include <QTemporaryDir>
#include <QtTest>

#include <functional>

namespace {

using Edit = std::function<void(std::vector<qb::GgufKeyValue> &)>;

qb::GgufValue &valueOf(std::vector<qb::GgufKeyValue> &kv, const std::string &key) {
    for (auto &e : kv)
        if (e.key == key) return e.value;
    throw std::runtime_error("no key " + key);
}

qb::GgufArray &arrayOf(std::vector<qb::GgufKeyValue> &kv, const std::string &key) {
    return std::get<qb::GgufArray>(valueOf(kv, key).value);
}

// stories260K with its metadata edited, every tensor copied as it is.
std::filesystem::path writeVariant(const std::filesystem::path &out, const Edit &edit) {
    const auto source = qb::GgufFile::open(qbtest::golden("models/stories260K.f32.gguf"));
    std::vector<qb::GgufKeyValue> kv = source->metadata();
    edit(kv);
    std::vector<qb::GgufTensorPlan> plans;
    for (const auto &t : source->tensors()) plans.push_back({t.name, t.type, t.nDims, t.ne});
    qb::GgufWriter writer(out, std::move(kv), std::move(plans));
    for (const auto &t : source->tensors()) writer.writeTensor(source->tensorData(t));
    writer.commit();
    return out;
}

QString str(const std::filesystem::path &p) { return QString::fromStdString(p.string()); }

} // namespace

class TestEvalSameModel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<qb::GgufModel> m_base;

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_base = qb::GgufModel::open(qbtest::golden("models/stories260K.f32.gguf"));
    }

    void unchangedCopyIsAccepted() {
        const auto path = writeVariant(m_dir.filePath(QStringLiteral("copy.gguf")).toStdString(), [](auto &) {});
        const auto copy = qb::GgufModel::open(path);
        qb::eval::checkSameModel(*m_base, *copy, "copy.gguf");
        qb::eval::checkCandidateFile(*m_base, path, "copy.gguf");
    }

    void otherVocabularyIsRefused_data() {
        QTest::addColumn<int>("variant");
        QTest::addColumn<QString>("expected");
        QTest::newRow("a token's text") << 0 << QStringLiteral("tokenizer.ggml.tokens[300] is \"quantbench\", the base's ");
        QTest::newRow("a token's score") << 1 << QStringLiteral("tokenizer.ggml.scores[300] is ");
        QTest::newRow("one token more") << 2 << QStringLiteral("tokenizer.ggml.scores has 513 entries, the base's 512");
        QTest::newRow("tokenizer model") << 3 << QStringLiteral("tokenizer.ggml.model is \"gpt2\", the base's \"llama\"");
        QTest::newRow("a special token added") << 4 << QStringLiteral("tokenizer.ggml.cls_token_id is set, the base has none");
        QTest::newRow("a special token removed") << 5 << QStringLiteral("tokenizer.ggml.padding_token_id is missing");
    }
    void otherVocabularyIsRefused() {
        QFETCH(int, variant);
        QFETCH(QString, expected);
        const std::vector<Edit> edits = {
            [](auto &kv) { arrayOf(kv, "tokenizer.ggml.tokens").items[300] = qb::GgufValue(std::string("quantbench")); },
            [](auto &kv) {
                auto &score = std::get<float>(arrayOf(kv, "tokenizer.ggml.scores").items[300].value);
                score += 1.0f;
            },
            [](auto &kv) {
                arrayOf(kv, "tokenizer.ggml.tokens").items.push_back(qb::GgufValue(std::string("extra")));
                arrayOf(kv, "tokenizer.ggml.scores").items.push_back(qb::GgufValue(0.0f));
                arrayOf(kv, "tokenizer.ggml.token_type").items.push_back(qb::GgufValue(int32_t(1)));
            },
            [](auto &kv) { valueOf(kv, "tokenizer.ggml.model") = qb::GgufValue(std::string("gpt2")); },
            [](auto &kv) { kv.push_back({"tokenizer.ggml.cls_token_id", qb::GgufValue(uint32_t(5))}); },
            [](auto &kv) {
                std::erase_if(kv, [](const qb::GgufKeyValue &e) { return e.key == "tokenizer.ggml.padding_token_id"; });
            },
        };
        const auto path = writeVariant(m_dir.filePath(QStringLiteral("vocab%1.gguf").arg(variant)).toStdString(),
                                       edits[size_t(variant)]);
        const auto candidate = qb::GgufModel::open(path);
        // The tensors are the base's: only the vocabulary differs.
        QCOMPARE(candidate->tensors().size(), m_base->tensors().size());
        QCOMPARE(candidate->tensorBytes(), m_base->tensorBytes());
        const QString name = QStringLiteral("vocab%1.gguf").arg(variant);
        const QString prefix = name + QStringLiteral(" has another vocabulary than the base model: ");
        try {
            qb::eval::checkSameModel(*m_base, *candidate, name.toStdString());
            QFAIL("a candidate with another vocabulary was accepted");
        } catch (const qb::Error &e) {
            QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
            const QString what = QString::fromStdString(e.what());
            QVERIFY2(what.startsWith(prefix + expected), qPrintable(what));
        }

        // The command line: exit 2, the same message, nothing on stdout (a candidate accepted by
        // mistake would be measured and exit 0 where llama.cpp is linked).
        const auto base = qbtest::golden("models/stories260K.f32.gguf");
        const qbtest::CliRun r = qbtest::runCli({QStringLiteral("evaluate"), str(base), str(path), QStringLiteral("--text"),
                                                 str(qbtest::golden("text/stories-sample.txt")), QStringLiteral("--ctx"),
                                                 QStringLiteral("128"), QStringLiteral("--chunks"), QStringLiteral("2")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(prefix + expected), qPrintable(r.err));
        QCOMPARE(r.out, QString());
    }

    void otherTensorsAreRefused() {
        // stories260K against stories-d256: another model altogether (the tensor shapes differ).
        const auto other = qb::GgufModel::open(qbtest::golden("models/stories-d256.f32.gguf"));
        try {
            qb::eval::checkSameModel(*m_base, *other, "stories-d256.f32.gguf");
            QFAIL("another model was accepted");
        } catch (const qb::Error &e) {
            QVERIFY2(QString::fromStdString(e.what())
                         .startsWith(QStringLiteral("stories-d256.f32.gguf is not a quantization of the base model: tensor ")),
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestEvalSameModel)
#include "tst_eval_same_model.moc"
