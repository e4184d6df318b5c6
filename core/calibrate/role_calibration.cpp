#include "calibrate/role_calibration.h"

#include "error.h"
#include "eval/temporary_candidate.h"
#include "gguf/output_file.h"
#include "ggml_types.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace qb {
namespace {

constexpr TensorRole kRoles[] = {TensorRole::TokenEmbd, TensorRole::Output,     TensorRole::AttnQ,
                                 TensorRole::AttnK,     TensorRole::AttnV,      TensorRole::AttnOutput,
                                 TensorRole::FfnGate,   TensorRole::FfnUp,      TensorRole::FfnDown};

// Below this mean KL divergence a probe says nothing: llama-perplexity prints 6 decimals, and a
// role this harmless gets the others' median rather than a weight of zero.
constexpr double kNoiseKld = 2e-6;

double bitsPerWeight(const TensorCurve::Point &p, uint64_t parameters) {
    return parameters ? 8.0 * double(p.dataBytes) / double(parameters) : 0.0;
}

// The quantized candidate nearest the probe's bits per weight. Float conversions are never probes:
// their error (F16 of F32 weights) is too small to measure, and a divergence at the noise floor
// divided by it would make a role look thousands of times more sensitive than it is.
const TensorCurve::Point *probePoint(const TensorCurve &t, double probeBpw) {
    const TensorCurve::Point *best = nullptr;
    for (const auto &p : t.points) {
        if (p.plainError <= 0 || p.type == GgmlType::F32 || p.type == GgmlType::F16 || p.type == GgmlType::BF16)
            continue;
        if (!best || std::abs(bitsPerWeight(p, t.parameters) - probeBpw) <
                         std::abs(bitsPerWeight(*best, t.parameters) - probeBpw))
            best = &p;
    }
    return best;
}

const TensorCurve::Point &dearestPoint(const TensorCurve &t) {
    return *std::max_element(t.points.begin(), t.points.end(),
                             [](const auto &a, const auto &b) { return a.dataBytes < b.dataBytes; });
}

const char *roleKey(TensorRole r) { return tensorRoleName(r); }

} // namespace

void applySensitivity(MixCurves &curves, const RoleSensitivity &sensitivity) {
    curves.sensitivity = sensitivity;
    for (TensorCurve &t : curves.tensors)
        for (auto &p : t.points) p.error = p.plainError * sensitivity.of(t.role);
}

RoleCalibration calibrateRoles(const MixCurves &curves, const CalibrationRequest &request) {
    const auto start = std::chrono::steady_clock::now();
    if (!curves.model) throw Error("calibration: no model", ErrorKind::Runtime);
    const QuantLabel *label = curves.baseLabel ? curves.baseLabel : curves.provisionalLabel;
    if (!label) throw Error("calibration: no base label", ErrorKind::Runtime);
    auto say = [&](const std::string &line) {
        if (request.progress) request.progress(line);
    };
    auto checkCancelled = [&] {
        if (request.cancel && request.cancel->load()) throw Error("calibration cancelled", ErrorKind::Cancelled);
    };

    eval::EvalSettings settings = request.eval;
    settings.scorer.cancel = request.cancel;
    eval::EvaluationRunner runner(request.model, settings);
    say("calibration: base model on " + settings.text.string());
    const eval::BaseResult &base = runner.prepareBase();

    RoleCalibration result;
    result.text = settings.text.string();
    result.ctx = base.ctx;
    result.chunks = base.chunks;
    const std::filesystem::path dir =
        settings.tempDir.empty() ? std::filesystem::temp_directory_path() : settings.tempDir;

    for (TensorRole role : kRoles) {
        checkCancelled();
        RoleProbe probe;
        probe.role = role;
        MixPreset preset;
        preset.ruleSet = curves.rules;  // the optimizer's rules (see OptimizedMix::toPreset)
        preset.baseLabel = label->name;
        preset.imatrixFile = curves.planOptions.imatrixFile;
        std::set<std::string> types;
        for (const TensorCurve &t : curves.tensors) {
            if (!t.free || t.points.empty()) continue;
            const TensorCurve::Point *chosen = &dearestPoint(t);
            if (t.role == role) {
                ++probe.tensors;
                if (const TensorCurve::Point *p = probePoint(t, request.probeBitsPerWeight)) {
                    chosen = p;
                    probe.predicted += p->plainError;
                    types.insert(typeName(p->type));
                }
            }
            preset.tensorTypes[t.name] = chosen->type;
        }
        for (const std::string &t : types) probe.probeTypes += (probe.probeTypes.empty() ? "" : ", ") + t;
        if (probe.tensors == 0) {
            probe.note = "no free tensor of this role";
        } else if (probe.predicted <= 0) {
            probe.note = "no quantized candidate to probe";
        } else {
            say(std::string("calibration: ") + roleKey(role) + " at " + probe.probeTypes);
            eval::TemporaryCandidate candidate(*curves.model, preset, dir, request.threads, request.cancel);
            const eval::CandidateResult r = runner.evaluate(candidate.path(), roleKey(role));
            probe.kld = r.stats.kld.value;
            if (probe.kld > kNoiseKld) {
                probe.measured = true;
                probe.sensitivity = probe.kld / probe.predicted;
            } else {
                probe.note = "divergence within noise";
            }
        }
        result.probes.push_back(probe);
    }

    // Unusable roles take the median of the measured ones; then the parameter-weighted mean is 1.
    std::vector<double> measured;
    for (const RoleProbe &p : result.probes)
        if (p.measured) measured.push_back(p.sensitivity);
    if (measured.empty())
        throw Error("calibration: no tensor role could be measured on '" + result.text +
                    "' (every probe's divergence was within noise or no tensor is free)");
    std::sort(measured.begin(), measured.end());
    const double median = measured.size() % 2 ? measured[measured.size() / 2]
                                              : 0.5 * (measured[measured.size() / 2 - 1] + measured[measured.size() / 2]);
    for (RoleProbe &p : result.probes)
        if (!p.measured) p.sensitivity = median;
    std::map<TensorRole, double> paramsOf;
    double params = 0;
    for (const TensorCurve &t : curves.tensors)
        if (t.free) {
            paramsOf[t.role] += double(t.parameters);
            params += double(t.parameters);
        }
    double weighted = 0;
    for (const RoleProbe &p : result.probes) weighted += p.sensitivity * paramsOf[p.role];
    const double scale = weighted > 0 && params > 0 ? params / weighted : 1.0;
    result.sensitivity = uniformRoleSensitivity();
    for (RoleProbe &p : result.probes) {
        p.sensitivity *= scale;
        result.sensitivity.weight[size_t(p.role)] = p.sensitivity;
    }
    result.sensitivity.weight[size_t(TensorRole::Other)] = median * scale;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

std::string RoleCalibration::toJson() const {
    nlohmann::ordered_json doc;
    doc["format"] = "quantbench-role-sensitivity";
    doc["version"] = 1;
    doc["text"] = text;
    doc["ctx"] = ctx;
    doc["chunks"] = chunks;
    nlohmann::ordered_json s;
    for (TensorRole r : kRoles) s[roleKey(r)] = sensitivity.of(r);
    s["other"] = sensitivity.of(TensorRole::Other);
    doc["sensitivity"] = s;
    nlohmann::ordered_json probesJson = nlohmann::ordered_json::array();
    for (const RoleProbe &p : probes)
        probesJson.push_back({{"role", roleKey(p.role)}, {"tensors", p.tensors}, {"probe_types", p.probeTypes},
                              {"predicted_error", p.predicted}, {"mean_kld", p.kld}, {"measured", p.measured},
                              {"note", p.note}, {"sensitivity", p.sensitivity}});
    doc["probes"] = probesJson;
    doc["seconds"] = seconds;
    return doc.dump(2) + "\n";
}

void RoleCalibration::save(const std::filesystem::path &path) const {
    writeTextFileAtomically(path, toJson(), "the sensitivity file");
}

RoleSensitivity loadRoleSensitivity(const std::filesystem::path &file) {
    const std::string where = "sensitivity file '" + file.string() + "'";
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error("cannot open " + where);
    in.seekg(0, std::ios::end);
    const auto size = in.tellg();
    if (size < 0 || size > (1 << 20)) throw Error(where + ": not a sensitivity file (larger than 1 MB)");
    in.seekg(0);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception &e) {
        throw Error(where + ": not JSON (" + e.what() + ")");
    }
    if (!doc.is_object() || !doc.contains("sensitivity") || !doc["sensitivity"].is_object())
        throw Error(where + ": no \"sensitivity\" object");
    RoleSensitivity s = uniformRoleSensitivity();
    const auto &obj = doc["sensitivity"];
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        TensorRole role = TensorRole::Count;
        for (TensorRole r : kRoles)
            if (it.key() == roleKey(r)) role = r;
        if (it.key() == "other") role = TensorRole::Other;
        if (role == TensorRole::Count) throw Error(where + ": unknown role \"" + it.key() + "\"");
        if (!it.value().is_number() || !std::isfinite(it.value().get<double>()) || it.value().get<double>() <= 0)
            throw Error(where + ": sensitivity of \"" + it.key() + "\" must be a positive number");
        s.weight[size_t(role)] = it.value().get<double>();
    }
    return s;
}

} // namespace qb
