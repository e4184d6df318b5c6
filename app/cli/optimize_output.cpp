#include "optimize_output.h"

#include "error.h"
#include "gguf/tensor_bytes.h"
#include "imatrix/importance_fit.h"
#include "mix/option_values.h"
#include "mix/plan_builder.h"
#include "pipeline/quantize_pipeline.h"

#include <cstdio>

namespace qbcli {

OptimizeSession::OptimizeSession(const OptimizeSetup &setup) : m_setup(setup) {
    m_model = qb::GgufModel::open(setup.input);
    if (!setup.imatrix.empty()) {
        m_imatrix = std::make_shared<const qb::ImportanceMatrix>(qb::ImportanceMatrix::load(setup.imatrix));
        qb::checkImportanceFits(*m_model, *m_imatrix, "--imatrix " + setup.imatrix);
    }
    m_analyzer = std::make_unique<qb::ModelAnalyzer>(m_model, m_imatrix);
    qb::MixCurveRequest request;
    request.rules = setup.rules;
    if (!setup.baseLabel.empty()) {
        request.baseLabel = qb::findQuantLabel(setup.baseLabel, setup.rules);
        if (!request.baseLabel)
            throw qb::Error("--base-label: unknown label '" + setup.baseLabel + "' (see `quantbench-cli labels --rules " +
                            qb::ruleSetName(setup.rules) + "`)");
    }
    for (const std::string &t : setup.types) request.types.push_back(qb::parseTypeOption(t, "--types"));
    request.pins = setup.pins;
    request.planOptions.imatrixFile = setup.imatrix;
    if (setup.uniformSensitivity) request.sensitivity = qb::uniformRoleSensitivity();
    request.threads = setup.threads;
    m_curves = qb::buildMixCurves(*m_analyzer, request);
    if (!setup.sensitivityFile.empty()) qb::applySensitivity(m_curves, qb::loadRoleSensitivity(setup.sensitivityFile));
}

void OptimizeSession::calibrate(const std::atomic<bool> *cancel) {
    qb::CalibrationRequest request;
    request.model = m_setup.input;
    request.eval.text = m_setup.calibrateText;
    request.eval.ctx = m_setup.calibrateCtx;
    request.eval.chunks = m_setup.calibrateChunks;
    request.eval.scorer.threads = m_setup.threads;
    request.threads = m_setup.threads;
    request.cancel = cancel;
    request.progress = [](const std::string &line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    m_calibration = qb::calibrateRoles(m_curves, request);
    qb::applySensitivity(m_curves, m_calibration->sensitivity);
    if (!m_setup.saveSensitivity.empty()) m_calibration->save(m_setup.saveSensitivity);
}

std::vector<LabelComparison> OptimizeSession::neighbourLabels(const qb::OptimizedMix &mix) {
    std::vector<LabelComparison> all;
    qb::QuantizeOptions rules;
    rules.rules = m_setup.rules;
    for (const qb::QuantLabel *candidate : qb::quantLabels(m_setup.rules)) {
        const qb::QuantLabel &l = *candidate;
        if (l.aliasOf || l.copyOnly) continue;
        try {
            const qb::MixDecision d = qb::decideMix(*m_model, l, rules, m_imatrix.get());
            qb::PlanOptions po;
            po.imatrixFile = m_setup.imatrix;
            LabelComparison c;
            c.label = &l;
            c.fileBytes = qb::plannedLayout(*m_model, qb::buildExecutionPlan(*m_model, d, m_imatrix, po)).fileSize;
            uint64_t bytes = 0;
            for (const auto &t : d.tensors)
                bytes += qb::tensorBytesAt(*m_model->tensors()[t.tensor].info, t.target);
            c.bitsPerWeight = 8.0 * double(bytes) / double(m_curves.parameters);
            all.push_back(c);
        } catch (const qb::Error &) {
            // A label the rules refuse here (no importance matrix) is no comparison.
        }
    }
    const LabelComparison *below = nullptr, *above = nullptr;
    for (const auto &c : all) {
        if (c.fileBytes <= mix.fileBytes && (!below || c.fileBytes > below->fileBytes)) below = &c;
        if (c.fileBytes > mix.fileBytes && (!above || c.fileBytes < above->fileBytes)) above = &c;
    }
    std::vector<LabelComparison> out;
    for (const LabelComparison *c : {below, above}) {
        if (!c) continue;
        LabelComparison r = *c;
        const qb::MixDecision d = qb::decideMix(*m_model, *r.label, rules, m_imatrix.get());
        std::tie(r.objective, r.relativeError) =
            qb::mixLoss(*m_analyzer, m_curves, d, qb::AnalysisMode::Preview, m_setup.threads);
        out.push_back(r);
    }
    return out;
}

std::string llamaQuantizeCommand(const qb::MixPreset &preset, const std::string &tensorTypeFile,
                                 const std::string &input, const std::string &output) {
    if (tensorTypeFile.empty()) return preset.toLlamaQuantizeCommand(input, output);
    qb::MixPreset rest = preset;
    rest.tensorTypes.clear();
    std::string cmd = rest.toLlamaQuantizeCommand(input, output);
    const std::string head = "llama-quantize";
    // The same quoting as every other argument: built by the preset's own export.
    qb::MixPreset quoted;
    quoted.imatrixFile = tensorTypeFile;
    const std::string q = quoted.toLlamaQuantizeCommand("", "");
    const std::string fileArg = q.substr(head.size() + std::string(" --imatrix ").size());
    const std::string quotedFile = fileArg.substr(0, fileArg.find(' '));
    cmd.insert(head.size(), " --tensor-type-file " + quotedFile);
    return cmd;
}

void printOptimizeText(const OptimizeSession &session, const qb::OptimizedMix &mix, const qb::MixDecision &decision,
                       const std::vector<LabelComparison> &labels) {
    const qb::GgufModel &model = session.model();
    std::printf("optimize %s: target %s, base label %s, rules %s, %s\n", session.setup().input.c_str(),
                mix.target.describe().c_str(), mix.baseLabel->name, qb::ruleSetName(mix.rules),
                session.curves().weighted ? "importance-weighted error" : "plain squared error");
    std::printf("%-36s %-8s %12s %12s  %s\n", "tensor", "type", "bytes", "error", "reason");
    for (size_t i = 0; i < mix.tensors.size(); ++i) {
        const auto &t = mix.tensors[i];
        (void)model;
        std::printf("%-36s %-8s %12llu %12.4g  %s\n", t.name.c_str(), qb::typeName(t.type),
                    (unsigned long long)t.bytes, t.error, decision.tensors[i].reason.c_str());
    }
    std::printf("total: %llu bytes (file), %llu bytes of tensor data, %.4f bits per weight\n",
                (unsigned long long)mix.fileBytes, (unsigned long long)mix.tensorBytes, mix.bitsPerWeight);
    std::printf("predicted loss: objective %.6g, relative error %.6g\n", mix.objective, mix.relativeError);
    for (const auto &l : labels)
        std::printf("label %-8s %12llu bytes, %.4f bits per weight: objective %.6g, relative error %.6g\n",
                    l.label->name, (unsigned long long)l.fileBytes, l.bitsPerWeight, l.objective, l.relativeError);
}

nlohmann::json optimizeJson(const OptimizeSession &session, const qb::OptimizedMix &mix,
                            const qb::MixDecision &decision, const std::vector<LabelComparison> &labels,
                            const std::string &command) {
    nlohmann::json j;
    j["file"] = session.setup().input;
    j["rules"] = qb::ruleSetName(mix.rules);
    j["imatrix"] = session.setup().imatrix.empty() ? nlohmann::json(nullptr) : nlohmann::json(session.setup().imatrix);
    j["target"] = mix.target.kind == qb::SizeTarget::Kind::FileBytes
                      ? nlohmann::json{{"bytes", mix.target.bytes}}
                      : nlohmann::json{{"bits_per_weight", mix.target.bitsPerWeight}};
    j["base_label"] = mix.baseLabel->name;
    j["weighted"] = session.curves().weighted;
    nlohmann::json tensors = nlohmann::json::array();
    for (size_t i = 0; i < mix.tensors.size(); ++i) {
        const auto &t = mix.tensors[i];
        tensors.push_back({{"tensor", t.name}, {"type", qb::typeName(t.type)}, {"bytes", t.bytes},
                           {"error", t.error}, {"optimized", t.free}, {"reason", decision.tensors[i].reason}});
    }
    j["tensors"] = tensors;
    j["totals"] = {{"file_bytes", mix.fileBytes}, {"tensor_bytes", mix.tensorBytes}, {"parameters", mix.parameters},
                   {"bits_per_weight", mix.bitsPerWeight}, {"objective", mix.objective},
                   {"relative_error", mix.relativeError}};
    nlohmann::json ls = nlohmann::json::array();
    for (const auto &l : labels)
        ls.push_back({{"label", l.label->name}, {"file_bytes", l.fileBytes}, {"bits_per_weight", l.bitsPerWeight},
                      {"objective", l.objective}, {"relative_error", l.relativeError}});
    j["labels"] = ls;
    if (!command.empty()) j["command"] = command;
    const OptimizeSetup &setup = session.setup();
    j["role_sensitivity"] = setup.uniformSensitivity ? "uniform"
                            : !setup.sensitivityFile.empty() ? setup.sensitivityFile
                            : session.calibration() ? "calibrated"
                                                    : "builtin";
    if (session.calibration()) j["calibration"] = nlohmann::json::parse(session.calibration()->toJson());
    return j;
}

void printCalibration(const qb::RoleCalibration &c) {
    std::printf("role sensitivity measured on %s (ctx %d, %d chunks, %.1f s): mean KLD with only that role at the probe type\n",
                c.text.c_str(), c.ctx, c.chunks, c.seconds);
    std::printf("%-12s %7s  %-16s %12s %12s %11s\n", "role", "tensors", "probe", "predicted", "mean KLD", "sensitivity");
    for (const qb::RoleProbe &p : c.probes)
        std::printf("%-12s %7zu  %-16s %12.4g %12.6f %11.4g%s%s\n", qb::tensorRoleName(p.role), p.tensors,
                    p.probeTypes.empty() ? "-" : p.probeTypes.c_str(), p.predicted, p.kld, p.sensitivity,
                    p.measured ? "" : "  (median: ", p.measured ? "" : (p.note + ")").c_str());
}

} // namespace qbcli
