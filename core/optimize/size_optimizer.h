// Size-targeted mix: every quantizable tensor's type chosen so that the predicted quality loss
// is least with the whole output at most a target size.
//
// Contract: buildMixCurves() does the slow part once per model, importance matrix, candidate
// list and pins: which types each tensor may take (a whole number of blocks per row, importance
// data where the type or llama.cpp's rules need it, and what the mix rules then keep: each
// candidate is tried through decideMix), each candidate's error from the analysis engine (one
// analysis per distinct (tensor, type) pair, through the shared cache), and the exact bytes the
// writer will write (header and metadata from the execution plan's layout, each tensor padded to
// the alignment). solveForTarget() is then fast and pure (the GUI calls it as a slider moves):
// lower convex hull and the budget's multiplier, then a greedy fill (hull_allocator.h).
//
// Error of a tensor at a type: n/N · e² · s, where n is its parameter count, N the model's, e
// its relative RMSE ‖q−w‖/‖w‖ (importance-weighted, sqrt(Σimp·err²/Σimp·w²), for tensors with
// importance data) and s its role's sensitivity (role_sensitivity.h). With s = 1 the summed
// error's square root is the label table's parameter-weighted relative error, so the optimizer's
// mixes and the labels share one quality axis. Never over the target: infeasible targets throw
// qb::Error (BadInput) stating the smallest possible size.
#pragma once

#include "analysis/model_analyzer.h"
#include "mix/mix_rules.h"
#include "mix/plan_builder.h"
#include "mix/preset.h"
#include "optimize/role_sensitivity.h"
#include "optimize/size_target.h"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace qb {

struct MixCurveRequest {
    // The llama.cpp whose rules decide what each tensor may take, the tensors it never quantizes
    // and the labels; the preset records it, so quantizing it reproduces the optimizer's types.
    RuleSet rules = RuleSet::B4748;
    const QuantLabel *baseLabel = nullptr;      // null: Q8_0 while building; the result names a label of similar size
    std::vector<GgmlType> types;                // candidates; empty: defaultCandidateTypes()
    std::vector<TensorTypeOverride> pins;       // pattern (searched in the name, first match wins) -> fixed type
    PlanOptions planOptions;                    // the imatrix file name and kv overrides the output will carry
    RoleSensitivity sensitivity = builtinRoleSensitivity();
    AnalysisMode mode = AnalysisMode::Preview;
    int threads = 1;
    const std::atomic<bool> *cancel = nullptr;
    std::function<void(double)> progress;       // fraction of the analyses done
};

struct TensorCurve {
    size_t tensor = 0;                  // index into GgufModel::tensors()
    std::string name;
    TensorRole role = TensorRole::Other;
    uint64_t parameters = 0;
    bool free = false;                  // chosen by the optimizer (quantizable and not pinned)
    std::string fixedReason;            // why not free: the base decision's reason, or the pin
    GgmlType fixedType = GgmlType::F32; // the type when not free
    struct Point {
        GgmlType type;
        uint64_t fileBytes;   // padded as written
        uint64_t dataBytes;   // unpadded tensor data
        double error;         // n/N · e² · s
        double plainError;    // n/N · e² (s = 1): the label table's measure
    };
    std::vector<Point> points;          // free: the candidates; fixed: the one type
};

struct MixCurves {
    const GgufModel *model = nullptr;
    RuleSet rules = RuleSet::B4748;         // as requested
    const QuantLabel *baseLabel = nullptr;  // as requested (may be null)
    const QuantLabel *provisionalLabel = nullptr;  // the label the curves were built with
    bool weighted = false;                  // an importance matrix is in use
    uint64_t headerBytes = 0;               // metadata and tensor table, padded (the layout's data offset)
    uint64_t alignment = 32;
    uint64_t parameters = 0;                // all tensors' elements
    std::vector<TensorCurve> tensors;       // in output order
    std::vector<TensorTypeOverride> pins;
    PlanOptions planOptions;
    RoleSensitivity sensitivity;
    // Labels that may name a mix when no base label was given: their tensor data bytes.
    std::vector<std::pair<const QuantLabel *, uint64_t>> labelSizes;
    size_t analysesRun = 0;
    double seconds = 0;
};

struct OptimizedTensor {
    size_t tensor = 0;
    std::string name;
    GgmlType type = GgmlType::F32;
    uint64_t bytes = 0;        // unpadded tensor data
    double error = 0;          // as in TensorCurve::Point::error
    bool free = false;
    std::string reason;        // "optimizer: 3.1e-04 error saved per KB", the pin, or the base rule
};

struct OptimizedMix {
    SizeTarget target;
    RuleSet rules = RuleSet::B4748;        // the curves' rule set, recorded in the preset
    const QuantLabel *baseLabel = nullptr;
    std::vector<OptimizedTensor> tensors;  // output order
    uint64_t fileBytes = 0;                // the whole output file, exactly
    uint64_t tensorBytes = 0;              // tensor data without padding
    uint64_t parameters = 0;
    double bitsPerWeight = 0;              // 8 · tensorBytes / parameters
    double objective = 0;                  // Σ error (with role sensitivity)
    double relativeError = 0;              // sqrt(Σ plainError): the label table's measure
    double lambda = 0;                     // error saved per byte at the budget's margin

    // tensor_types for every quantizable tensor; target and objective recorded.
    MixPreset toPreset(const std::string &imatrixFile) const;
    // One "^name$=type" line per quantizable tensor, as --tensor-type-file reads it.
    std::string tensorTypeFileText() const;
};

// Every type QuantBench quantizes that llama-quantize b4748 can write, F32 excluded (also the
// candidates under 2026-09's rules: its new types are for other kinds of models).
std::vector<GgmlType> defaultCandidateTypes();

MixCurves buildMixCurves(ModelAnalyzer &analyzer, const MixCurveRequest &request);

// Least cost of any mix and the cost of the largest (every free tensor at its dearest candidate).
struct SizeRange {
    uint64_t smallestFile = 0, largestFile = 0;
    double smallestBpw = 0, largestBpw = 0;
};
SizeRange feasibleRange(const MixCurves &curves);

// Throws qb::Error (BadInput) when no assignment fits, naming the smallest possible size.
OptimizedMix solveForTarget(const MixCurves &curves, const SizeTarget &target);

// The mix as decideMix makes it from the optimized preset (reasons replaced by the optimizer's);
// throws std::logic_error if the rules would not give exactly the optimizer's types.
MixDecision decisionFor(const MixCurves &curves, const OptimizedMix &mix, const ImportanceMatrix *imatrix);

// The predicted loss of any decided mix (a label's) on the curves' scale: {objective, relativeError};
// tensors whose type has no point are analysed through the analyzer.
std::pair<double, double> mixLoss(ModelAnalyzer &analyzer, const MixCurves &curves, const MixDecision &mix,
                                  AnalysisMode mode, int threads);

} // namespace qb
