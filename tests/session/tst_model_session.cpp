// The session's analysis cache outlives importance-matrix changes: results seen once, with or
// without importance data, are found again after loading, clearing and reloading a matrix, and
// opening another model starts afresh.
#include "golden.h"

#include "model_session.h"

#include <QSignalSpy>
#include <QtTest>

class TestModelSession : public QObject {
    Q_OBJECT
private slots:
    void cacheSurvivesImportanceChanges();
};

namespace {

QString goldenPath(const char *relative) { return QString::fromStdString(qbtest::golden(relative).string()); }

size_t tensorIndex(const qb::GgufModel &model, const char *name) {
    return size_t(model.findTensor(name) - model.tensors().data());
}

} // namespace

void TestModelSession::cacheSurvivesImportanceChanges() {
    qbui::ModelSession session;
    QSignalSpy opened(&session, &qbui::ModelSession::modelOpened);
    QSignalSpy loaded(&session, &qbui::ModelSession::importanceLoaded);
    session.open(goldenPath("models/llama256.f16.gguf"));
    QVERIFY(opened.wait(20000));
    const auto model = session.model();
    const size_t covered = tensorIndex(*model, "blk.1.ffn_down.weight");  // the matrix has data for it
    const size_t uncovered = tensorIndex(*model, "token_embd.weight");    // and none for this one
    const auto mode = qb::AnalysisMode::Exact;
    const auto type = qb::GgmlType::Q4_K;

    const auto plain = session.analyzer()->analyze(covered, type, mode);
    const auto plainEmbd = session.analyzer()->analyze(uncovered, type, mode);
    QVERIFY(!plain->metrics.weighted);

    session.loadImportance(goldenPath("imatrix/llama256.f16.imatrix.dat"));
    QVERIFY(loaded.wait(10000));
    QVERIFY(session.analyzer()->hasImportance());
    // The covered tensor's result depends on the importance data: not the plain one...
    QVERIFY(!session.analyzer()->cached(covered, type));
    const auto weighted = session.analyzer()->analyze(covered, type, mode);
    QVERIFY(weighted->metrics.weighted);
    // ...while the uncovered tensor's does not: found without computing.
    QCOMPARE(session.analyzer()->cached(uncovered, type).get(), plainEmbd.get());
    const size_t entries = session.analyzer()->cacheSize();

    session.clearImportance();
    QCOMPARE(loaded.count(), 2);
    QVERIFY(!session.analyzer()->hasImportance());
    QCOMPARE(session.analyzer()->cached(covered, type).get(), plain.get());
    QCOMPARE(session.analyzer()->analyze(covered, type, mode).get(), plain.get());

    session.loadImportance(goldenPath("imatrix/llama256.f16.imatrix.dat"));  // parsed afresh: equal values
    QVERIFY(loaded.wait(10000));
    QCOMPARE(session.analyzer()->analyze(covered, type, mode).get(), weighted.get());
    QCOMPARE(session.analyzer()->analyze(uncovered, type, mode).get(), plainEmbd.get());
    QCOMPARE(session.analyzer()->cacheSize(), entries);  // nothing computed since

    // Another model: nothing of the first applies.
    session.open(goldenPath("models/llama256.bf16.gguf"));
    QVERIFY(opened.wait(20000));
    QCOMPARE(session.analyzer()->cacheSize(), size_t(0));
}

QTEST_MAIN(TestModelSession)
#include "tst_model_session.moc"
