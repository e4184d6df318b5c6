// The size optimizer as the CLI runs it (optimize, and quantize --target-size/--target-bpw):
// loading the model and importance matrix, building the curves, the labels to compare with, and
// the text and JSON reports.
#pragma once

#include "analysis/model_analyzer.h"
#include "calibrate/role_calibration.h"
#include "gguf/gguf_model.h"
#include "imatrix/importance_matrix.h"
#include "mix/preset.h"
#include "optimize/size_optimizer.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qbcli {

struct OptimizeSetup {
    std::string input, imatrix, baseLabel;
    qb::RuleSet rules = qb::kDefaultRuleSet;  // the llama.cpp whose rules the mix follows
    std::vector<std::string> types;
    std::vector<qb::TensorTypeOverride> pins;
    int threads = 1;
    bool uniformSensitivity = false;
    std::string sensitivityFile;   // role sensitivities from a calibration file
    std::string calibrateText;     // measure them on this text first (llama.cpp)
    std::string saveSensitivity;   // where to write the calibration
    int calibrateCtx = 0, calibrateChunks = -1;
};

// A label beside the optimizer's mix: its exact file size and its loss on the optimizer's scale.
struct LabelComparison {
    const qb::QuantLabel *label = nullptr;
    uint64_t fileBytes = 0;
    double bitsPerWeight = 0;
    double objective = 0, relativeError = 0;
};

class OptimizeSession {
public:
    explicit OptimizeSession(const OptimizeSetup &setup);
    const qb::GgufModel &model() const { return *m_model; }
    const qb::ImportanceMatrix *importance() const { return m_imatrix.get(); }
    const qb::MixCurves &curves() const { return m_curves; }
    const OptimizeSetup &setup() const { return m_setup; }
    // The calibration run for this session (--calibrate), if any.
    const std::optional<qb::RoleCalibration> &calibration() const { return m_calibration; }
    // The largest label at most the mix's size and the smallest above it (those that exist).
    std::vector<LabelComparison> neighbourLabels(const qb::OptimizedMix &mix);

    // Measures the role sensitivities on setup().calibrateText (llama.cpp) and re-weighs the curves;
    // saves them to setup().saveSensitivity if given. Throws qb::Error (Cancelled when cancel is set).
    void calibrate(const std::atomic<bool> *cancel);

private:

    OptimizeSetup m_setup;
    std::shared_ptr<const qb::GgufModel> m_model;
    std::shared_ptr<const qb::ImportanceMatrix> m_imatrix;
    std::unique_ptr<qb::ModelAnalyzer> m_analyzer;
    qb::MixCurves m_curves;
    std::optional<qb::RoleCalibration> m_calibration;
};

// llama-quantize's command for the preset; with a tensor-type file, the file replaces the
// per-tensor --tensor-type arguments.
std::string llamaQuantizeCommand(const qb::MixPreset &preset, const std::string &tensorTypeFile,
                                 const std::string &input, const std::string &output);

void printOptimizeText(const OptimizeSession &session, const qb::OptimizedMix &mix, const qb::MixDecision &decision,
                       const std::vector<LabelComparison> &labels);
// One line per role: probe types, predicted error, measured divergence, sensitivity.
void printCalibration(const qb::RoleCalibration &calibration);

nlohmann::json optimizeJson(const OptimizeSession &session, const qb::OptimizedMix &mix,
                            const qb::MixDecision &decision, const std::vector<LabelComparison> &labels,
                            const std::string &command);

} // namespace qbcli
