// The size-targeted mix optimizer (core/optimize): budgets are never exceeded, with the written
// file's size checked for every golden model over targets from the smallest feasible size to
// F16; pins are kept; types a tensor cannot take are never chosen; the same input gives the same
// mix; the exported preset and --tensor-type-file make quantize write exactly the optimizer's file.
#include "golden.h"

#include "error.h"
#include "imatrix/importance_fit.h"
#include "imatrix/importance_matrix.h"
#include "kernels/kernels.h"
#include "mix/option_values.h"
#include "mix/plan_builder.h"
#include "mix/preset.h"
#include "optimize/hull_allocator.h"
#include "optimize/size_optimizer.h"
#include "optimize/size_target.h"
#include "pipeline/quantize_pipeline.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <random>

namespace {

struct Loaded {
    std::shared_ptr<const qb::GgufModel> model;
    std::shared_ptr<const qb::ImportanceMatrix> imatrix;
    std::unique_ptr<qb::ModelAnalyzer> analyzer;
};

Loaded load(const std::string &model, const std::string &imatrix = {}) {
    Loaded l;
    l.model = qb::GgufModel::open(qbtest::golden(model));
    if (!imatrix.empty())
        l.imatrix = std::make_shared<const qb::ImportanceMatrix>(qb::ImportanceMatrix::load(qbtest::golden(imatrix)));
    l.analyzer = std::make_unique<qb::ModelAnalyzer>(l.model, l.imatrix);
    return l;
}

// Writes the optimizer's mix through the ordinary quantize path; returns the file's size.
uint64_t writeMix(const Loaded &l, const qb::MixCurves &curves, const qb::OptimizedMix &mix,
                  const std::filesystem::path &out) {
    const qb::MixDecision d = qb::decisionFor(curves, mix, l.imatrix.get());
    const qb::ExecutionPlan plan = qb::buildExecutionPlan(*l.model, d, l.imatrix, curves.planOptions);
    qb::PipelineOptions po;
    po.threads = 2;
    qb::runQuantization(*l.model, plan, out, po);
    return std::filesystem::file_size(out);
}

// Writes a preset's mix as `quantize --preset` does.
void writePreset(const Loaded &l, const qb::MixPreset &preset, const std::filesystem::path &out) {
    const qb::MixDecision d = qb::decideMix(*l.model, preset.label(), preset.toOptions(), l.imatrix.get());
    qb::PlanOptions po;
    po.imatrixFile = preset.imatrixFile;
    qb::PipelineOptions pipe;
    pipe.threads = 2;
    qb::runQuantization(*l.model, qb::buildExecutionPlan(*l.model, d, l.imatrix, po), out, pipe);
}

uint64_t labelFileSize(const Loaded &l, const char *label, const std::string &imatrixFile) {
    const qb::MixDecision d = qb::decideMix(*l.model, *qb::findQuantLabel(label), {}, l.imatrix.get());
    qb::PlanOptions po;
    po.imatrixFile = imatrixFile;
    return qb::plannedLayout(*l.model, qb::buildExecutionPlan(*l.model, d, l.imatrix, po)).fileSize;
}

} // namespace

class TestSizeOptimizer : public QObject {
    Q_OBJECT
  private slots:
    void parsesTargets();
    void hullAllocatorStaysWithinBudget();
    void neverOverTargetOnGoldenModels_data();
    void neverOverTargetOnGoldenModels();
    void keepsPinsAndRefusesImpossiblePins();
    void choosesOnlyValidTypes();
    void isDeterministic();
    void exportsReproduceTheFile();
    void infeasibleTargetNamesTheSmallestSize();
};

void TestSizeOptimizer::parsesTargets() {
    QCOMPARE(qb::parseSizeTarget("4.2GB").bytes, uint64_t(4200000000ull));
    QCOMPARE(qb::parseSizeTarget("4200MB").bytes, uint64_t(4200000000ull));
    QCOMPARE(qb::parseSizeTarget("4GiB").bytes, uint64_t(4ull << 30));
    QCOMPARE(qb::parseSizeTarget("1 mib").bytes, uint64_t(1 << 20));
    QCOMPARE(qb::parseSizeTarget("123456").bytes, uint64_t(123456));
    QCOMPARE(qb::parseBitsPerWeight("4.5").bitsPerWeight, 4.5);
    for (const char *bad : {"", "GB", "4.2XB", "-1GB", "0", "1.5", "nan", "1e30TB"})
        QVERIFY_THROWS_EXCEPTION(qb::Error, qb::parseSizeTarget(bad));
    for (const char *bad : {"", "0", "-3", "4.5x", "65"}) QVERIFY_THROWS_EXCEPTION(qb::Error, qb::parseBitsPerWeight(bad));
}

void TestSizeOptimizer::hullAllocatorStaysWithinBudget() {
    // A known hull: (10, 9) (20, 5) (30, 4) (40, 0): (30, 4) lies above the chord and is dropped.
    const std::vector<qb::AllocationPoint> pts{{20, 5}, {10, 9}, {40, 0}, {30, 4}, {25, 6}};
    const std::vector<size_t> hull = qb::lowerConvexHull(pts);
    QCOMPARE(hull, (std::vector<size_t>{1, 0, 2}));

    std::mt19937 rng(7);
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<qb::AllocationItem> items(1 + rng() % 6);
        for (auto &item : items)
            for (size_t p = 0, n = 1 + rng() % 5; p < n; ++p)
                item.points.push_back({uint64_t(1 + rng() % 50), double(rng() % 1000) / 10.0});
        const uint64_t budget = rng() % 200;
        const qb::Allocation a = qb::allocateWithinBudget(items, budget);
        uint64_t least = 0, cost = 0;
        double error = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            uint64_t m = UINT64_MAX;
            for (const auto &p : items[i].points) m = std::min(m, p.cost);
            least += m;
            cost += items[i].points[a.choice[i]].cost;
            error += items[i].points[a.choice[i]].error;
        }
        QCOMPARE(a.feasible, least <= budget);
        if (!a.feasible) {
            QCOMPARE(a.cost, least);
            continue;
        }
        QVERIFY(cost <= budget);
        QCOMPARE(a.cost, cost);
        QCOMPARE(a.error, error);
        // No single upgrade that still fits would lower the error: the greedy pass spent what it could.
        for (size_t i = 0; i < items.size(); ++i)
            for (const auto &p : items[i].points)
                QVERIFY(!(p.error < items[i].points[a.choice[i]].error &&
                          cost - items[i].points[a.choice[i]].cost + p.cost <= budget));
        // Same input, same answer.
        QCOMPARE(qb::allocateWithinBudget(items, budget).choice, a.choice);
    }
}

void TestSizeOptimizer::neverOverTargetOnGoldenModels_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("imatrix");
    QTest::newRow("tiny.f16") << "models/tiny.f16.gguf" << "";
    QTest::newRow("llama256.f16") << "models/llama256.f16.gguf" << "";
    QTest::newRow("llama256.bf16") << "models/llama256.bf16.gguf" << "";
    QTest::newRow("llama288.f32") << "models/llama288.f32.gguf" << "";
    QTest::newRow("stories260K.f32") << "models/stories260K.f32.gguf" << "";
    QTest::newRow("stories-d256.f32") << "models/stories-d256.f32.gguf" << "";
    QTest::newRow("stories-d256.f32+imatrix") << "models/stories-d256.f32.gguf"
                                              << "imatrix/stories-d256.f32.imatrix.dat";
}

void TestSizeOptimizer::neverOverTargetOnGoldenModels() {
    QFETCH(QString, model);
    QFETCH(QString, imatrix);
    const Loaded l = load(model.toStdString(), imatrix.toStdString());
    qb::MixCurveRequest request;
    request.threads = 2;
    request.planOptions.imatrixFile = imatrix.toStdString();
    const qb::MixCurves curves = qb::buildMixCurves(*l.analyzer, request);
    const qb::SizeRange range = qb::feasibleRange(curves);
    const uint64_t f16 = labelFileSize(l, "F16", imatrix.toStdString());
    QVERIFY(range.smallestFile < f16);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // The smallest feasible size exactly, F16's size, and points between (odd numbers, so that
    // padding and the header's size matter).
    std::vector<uint64_t> targets{range.smallestFile, f16};
    for (int k = 1; k <= 2; ++k) targets.push_back(range.smallestFile + (f16 - range.smallestFile) * uint64_t(k) / 3 + 13);
    int index = 0;
    for (uint64_t target : targets) {
        const qb::OptimizedMix mix = qb::solveForTarget(curves, qb::SizeTarget::fileBytes(target));
        QVERIFY2(mix.fileBytes <= target, qPrintable(QStringLiteral("%1 > %2").arg(mix.fileBytes).arg(target)));
        const auto out = std::filesystem::path(dir.path().toStdString()) / ("t" + std::to_string(index++) + ".gguf");
        QCOMPARE(writeMix(l, curves, mix, out), mix.fileBytes);
    }
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::solveForTarget(curves, qb::SizeTarget::fileBytes(range.smallestFile - 1)));
    // Bits per weight: the tensor data within bpw · N / 8.
    for (double bpw : {range.smallestBpw, (range.smallestBpw + range.largestBpw) / 2, 16.0}) {
        const qb::OptimizedMix mix = qb::solveForTarget(curves, qb::SizeTarget::bpw(bpw));
        QVERIFY(double(mix.tensorBytes) * 8.0 <= bpw * double(mix.parameters) + 1e-6);
    }
}

void TestSizeOptimizer::keepsPinsAndRefusesImpossiblePins() {
    const Loaded l = load("models/stories-d256.f32.gguf");
    qb::MixCurveRequest request;
    request.threads = 2;
    request.pins = {qb::parseTensorTypeOption("output\\.weight=q8_0", "--pin"),
                    qb::parseTensorTypeOption("ffn_down=q6_K", "--pin")};
    const qb::MixCurves curves = qb::buildMixCurves(*l.analyzer, request);
    const qb::SizeRange range = qb::feasibleRange(curves);
    for (uint64_t target : {range.smallestFile, (range.smallestFile + range.largestFile) / 2, range.largestFile}) {
        const qb::OptimizedMix mix = qb::solveForTarget(curves, qb::SizeTarget::fileBytes(target));
        int pinned = 0;
        for (const auto &t : mix.tensors) {
            if (t.name == "output.weight") {
                QCOMPARE(t.type, qb::GgmlType::Q8_0);
                ++pinned;
            }
            if (t.name.find("ffn_down") != std::string::npos) {
                QCOMPARE(t.type, qb::GgmlType::Q6_K);
                ++pinned;
            }
        }
        QCOMPARE(pinned, 5);
    }
    // A pin the tensor cannot take (IQ2_XXS needs importance data), and one that matches nothing.
    request.pins = {qb::parseTensorTypeOption("ffn_up=iq2_xxs", "--pin")};
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::buildMixCurves(*l.analyzer, request));
    request.pins = {qb::parseTensorTypeOption("no_such_tensor=q8_0", "--pin")};
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::buildMixCurves(*l.analyzer, request));
}

void TestSizeOptimizer::choosesOnlyValidTypes() {
    // tiny.f16 has rows that are not a multiple of 256 (K-quants need fallbacks there); without
    // an importance matrix the IQ1/IQ2 types are never valid.
    for (const char *name : {"models/tiny.f16.gguf", "models/stories260K.f32.gguf"}) {
        const Loaded l = load(name);
        qb::MixCurveRequest request;
        request.threads = 2;
        const qb::MixCurves curves = qb::buildMixCurves(*l.analyzer, request);
        for (const auto &c : curves.tensors)
            for (const auto &p : c.points) {
                const qb::GgufTensorInfo &info = *l.model->tensors()[c.tensor].info;
                QVERIFY2(info.ne[0] % qb::typeTraits(p.type).blockSize == 0, c.name.c_str());
                QVERIFY2(!qb::needsImportance(p.type), c.name.c_str());
                QVERIFY(p.type != qb::GgmlType::IQ2_XXS && p.type != qb::GgmlType::IQ1_S);
            }
        const qb::SizeRange range = qb::feasibleRange(curves);
        for (int k = 0; k <= 8; ++k) {
            const uint64_t target = range.smallestFile + (range.largestFile - range.smallestFile) * uint64_t(k) / 8;
            const qb::OptimizedMix mix = qb::solveForTarget(curves, qb::SizeTarget::fileBytes(target));
            // decisionFor throws if llama-quantize's rules would not give exactly these types.
            const qb::MixDecision d = qb::decisionFor(curves, mix, nullptr);
            QCOMPARE(d.fallbackCount, 0);
        }
    }
}

void TestSizeOptimizer::isDeterministic() {
    std::vector<qb::GgmlType> first;
    for (int run = 0; run < 2; ++run) {
        const Loaded l = load("models/stories-d256.f32.gguf", "imatrix/stories-d256.f32.imatrix.dat");
        qb::MixCurveRequest request;
        request.threads = run == 0 ? 1 : 2;
        const qb::MixCurves curves = qb::buildMixCurves(*l.analyzer, request);
        const qb::OptimizedMix mix = qb::solveForTarget(curves, qb::SizeTarget::bpw(4.5));
        std::vector<qb::GgmlType> types;
        for (const auto &t : mix.tensors) types.push_back(t.type);
        if (run == 0) first = types;
        else QCOMPARE(types, first);
    }
}

void TestSizeOptimizer::exportsReproduceTheFile() {
    const std::string imatrixFile = qbtest::golden("imatrix/stories-d256.f32.imatrix.dat").string();
    const Loaded l = load("models/stories-d256.f32.gguf", "imatrix/stories-d256.f32.imatrix.dat");
    qb::MixCurveRequest request;
    request.threads = 2;
    request.planOptions.imatrixFile = imatrixFile;
    const qb::MixCurves curves = qb::buildMixCurves(*l.analyzer, request);
    const qb::OptimizedMix mix =
        qb::solveForTarget(curves, qb::SizeTarget::fileBytes(labelFileSize(l, "Q4_K_M", imatrixFile)));
    QTemporaryDir dir;
    const std::filesystem::path folder = dir.path().toStdString();
    writeMix(l, curves, mix, folder / "optimizer.gguf");

    // The preset, saved and loaded back.
    const qb::MixPreset preset = mix.toPreset(imatrixFile);
    QVERIFY(preset.notes.find("target") != std::string::npos);
    preset.save(folder / "mix.json");
    writePreset(l, qb::MixPreset::load(folder / "mix.json"), folder / "preset.gguf");
    QCOMPARE(qbtest::readAll(folder / "preset.gguf"), qbtest::readAll(folder / "optimizer.gguf"));

    // The --tensor-type-file with the base label, as `quantize IN OUT LABEL --tensor-type-file F` reads it.
    qb::MixPreset fromFile;
    fromFile.ruleSet = qb::RuleSet::B4748;  // the optimizer's rule set (`--rules b4748` on the command line)
    fromFile.baseLabel = mix.baseLabel->name;
    fromFile.imatrixFile = imatrixFile;
    fromFile.rules = qb::parseTensorTypeList(mix.tensorTypeFileText(), "types.txt");
    writePreset(l, fromFile, folder / "file.gguf");
    QCOMPARE(qbtest::readAll(folder / "file.gguf"), qbtest::readAll(folder / "optimizer.gguf"));
}

void TestSizeOptimizer::infeasibleTargetNamesTheSmallestSize() {
    const Loaded l = load("models/stories260K.f32.gguf");
    qb::MixCurveRequest request;
    const qb::MixCurves curves = qb::buildMixCurves(*l.analyzer, request);
    const qb::SizeRange range = qb::feasibleRange(curves);
    try {
        qb::solveForTarget(curves, qb::SizeTarget::fileBytes(1000));
        QFAIL("an impossible target was accepted");
    } catch (const qb::Error &e) {
        QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
        QVERIFY2(std::string(e.what()).find(std::to_string(range.smallestFile) + " bytes") != std::string::npos, e.what());
    }
}

QTEST_GUILESS_MAIN(TestSizeOptimizer)
#include "tst_size_optimizer.moc"
