// The model overview's grid: every tensor of the demo model and of the MoE test model in exactly
// one cell, layers as rows in numeric order with the tensors outside the blocks in a row of their
// own, the usual projections as the first columns, and a mix's types and bytes per tensor.
#include "model_overview_grid.h"

#include "demo/demo_model.h"
#include "gguf/gguf_model.h"
#include "gguf/tensor_bytes.h"

#include <QTemporaryDir>
#include <QtTest>

#include <set>

class TestModelOverviewGrid : public QObject {
    Q_OBJECT
private slots:
    void splitsNames();
    void placesEveryDemoTensorOnce();
    void placesExpertsInTheirColumns();
    void sizesFollowTheMix();

private:
    std::unique_ptr<qb::GgufModel> writeAndOpen(const qb::DemoModelSpec &spec, const char *name);
    QTemporaryDir m_dir;
};

std::unique_ptr<qb::GgufModel> TestModelOverviewGrid::writeAndOpen(const qb::DemoModelSpec &spec, const char *name) {
    const std::filesystem::path path = m_dir.filePath(QString::fromLatin1(name)).toStdString();
    qb::writeDemoModel(path, spec);
    return qb::GgufModel::open(path);
}

// Checks the grid's two directions agree and no cell holds two tensors.
static void checkEveryTensorOnce(const qbui::ModelOverviewGrid &grid, const qb::GgufModel &model) {
    QCOMPARE(grid.tensorCount(), int(model.tensors().size()));
    std::set<int> seen;
    for (int r = 0; r < grid.rowCount(); ++r)
        for (int c = 0; c < grid.columnCount(); ++c)
            if (const int t = grid.tensorAt(r, c); t >= 0) {
                QVERIFY2(seen.insert(t).second, "a tensor in two cells");
                QCOMPARE(grid.cellOf(t), std::make_pair(r, c));
                const auto [layer, role] = qbui::ModelOverviewGrid::layerAndRole(QString::fromStdString(model.tensors()[size_t(t)].info->name));
                QCOMPARE(grid.rows().at(r), layer >= 0 ? QStringLiteral("blk.%1").arg(layer) : QStringLiteral("other"));
                QCOMPARE(grid.columns().at(c), role);
            }
    QCOMPARE(int(seen.size()), int(model.tensors().size()));
}

void TestModelOverviewGrid::splitsNames() {
    using G = qbui::ModelOverviewGrid;
    QCOMPARE(G::layerAndRole(QStringLiteral("blk.12.attn_q.weight")), std::make_pair(12, QStringLiteral("attn_q")));
    QCOMPARE(G::layerAndRole(QStringLiteral("blk.3.attn_q.bias")), std::make_pair(3, QStringLiteral("attn_q.bias")));
    QCOMPARE(G::layerAndRole(QStringLiteral("blk.0.ffn_down_exps.weight")), std::make_pair(0, QStringLiteral("ffn_down_exps")));
    QCOMPARE(G::layerAndRole(QStringLiteral("token_embd.weight")), std::make_pair(-1, QStringLiteral("token_embd")));
    QCOMPARE(G::layerAndRole(QStringLiteral("blk.x.attn_q.weight")), std::make_pair(-1, QStringLiteral("blk.x.attn_q")));
}

void TestModelOverviewGrid::placesEveryDemoTensorOnce() {
    QVERIFY(m_dir.isValid());
    qb::DemoModelSpec spec;
    spec.layers = 12;  // blk.10 and blk.11 must follow blk.9, not blk.1
    spec.feedForward = 256;  // small: only the names matter here
    spec.vocabulary = 512;
    const auto model = writeAndOpen(spec, "demo.gguf");
    const qbui::ModelOverviewGrid grid(*model);
    checkEveryTensorOnce(grid, *model);
    QCOMPARE(grid.rowCount(), 13);
    for (int i = 0; i < 12; ++i) QCOMPARE(grid.rows().at(i), QStringLiteral("blk.%1").arg(i));
    QCOMPARE(grid.rows().last(), QStringLiteral("other"));
    const QStringList first = grid.columns().mid(0, 7);
    QCOMPARE(first, QStringLiteral("attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down").split(QLatin1Char(',')));
    QVERIFY(grid.columns().contains(QStringLiteral("token_embd")));
    const auto embd = model->findTensor("token_embd.weight");
    QVERIFY(embd);
    QCOMPARE(grid.rows().at(grid.cellOf(int(embd - model->tensors().data())).first), QStringLiteral("other"));
    QCOMPARE(grid.tensorAt(-1, 0), -1);
    QCOMPARE(grid.tensorAt(0, grid.columnCount()), -1);
}

void TestModelOverviewGrid::placesExpertsInTheirColumns() {
    const auto model = writeAndOpen(qb::moeTestModelSpec(), "moe.gguf");
    const qbui::ModelOverviewGrid grid(*model);
    checkEveryTensorOnce(grid, *model);
    QCOMPARE(grid.rowCount(), 5);  // 4 layers and the rest
    const auto &columns = grid.columns();
    QVERIFY(columns.contains(QStringLiteral("ffn_gate_exps")));
    QVERIFY(columns.contains(QStringLiteral("ffn_down_shexp")));
    // The experts come right after the dense projections present, before norms and routers.
    QVERIFY(columns.indexOf(QStringLiteral("attn_output")) < columns.indexOf(QStringLiteral("ffn_gate_exps")));
    QVERIFY(columns.indexOf(QStringLiteral("ffn_down_exps")) < columns.indexOf(QStringLiteral("ffn_gate_inp")));
    QVERIFY(columns.indexOf(QStringLiteral("ffn_down_exps")) < columns.indexOf(QStringLiteral("attn_norm")));
}

void TestModelOverviewGrid::sizesFollowTheMix() {
    const auto model = writeAndOpen({}, "sizes.gguf");
    std::vector<qb::MixEntry> mix;
    for (size_t i = 0; i < model->tensors().size(); ++i) {
        const auto &info = *model->tensors()[i].info;
        mix.push_back({i, info.nDims >= 2 ? qb::GgmlType::Q4_K : info.type});
    }
    const qbui::OverviewValues v = qbui::overviewSizes(*model, mix);
    for (size_t i = 0; i < mix.size(); ++i) {
        const auto &info = *model->tensors()[i].info;
        QCOMPARE(v.type[i], mix[i].type);
        QCOMPARE(v.bytes[i], double(qb::tensorBytesAt(info, mix[i].type)));
        QCOMPARE(v.value(qbui::OverviewQuantity::Bytes, int(i)), v.bytes[i]);
        if (info.nDims >= 2) {
            QCOMPARE(v.typeBits[i], 4.5);  // Q4_K: 144 bytes per 256 weights
            QVERIFY(std::isnan(v.error[i]));  // left to the analysis
        } else {
            QCOMPARE(v.error[i], 0.0);  // unchanged: no error
        }
    }
}

QTEST_MAIN(TestModelOverviewGrid)
#include "tst_model_overview_grid.moc"
