#include "optimize/size_optimizer.h"

#include "error.h"
#include "gguf/tensor_bytes.h"
#include "kernels/kernels.h"
#include "mix/tensor_pattern.h"
#include "optimize/hull_allocator.h"
#include "pipeline/quantize_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace qb {
namespace {

std::string upper(GgmlType type) {
    std::string s = typeName(type);
    for (char &c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

uint64_t dataBytesOf(const GgufTensorInfo &info, GgmlType type) { return tensorBytesAt(info, type); }

// The error measure of one analysis: importance-weighted where the tensor has importance data.
double squaredRelative(const TensorAnalysis &a) {
    const double e = a.metrics.weighted ? a.metrics.weightedRelative : a.metrics.relativeRmse;
    return e * e;
}

// The optimizer decides with the requested rule set (its curves, its checks of what each tensor
// may take); its preset records that rule set, so quantizing the preset reproduces the mix.
QuantizeOptions ruleOptions(RuleSet rules) {
    QuantizeOptions o;
    o.rules = rules;
    return o;
}

// Without a base label, any label the rules accept for this model serves while building: the
// curves do not depend on it (see labelSizes). Q8_0 first; models whose rows fit no 32-block
// (stories260K) need a label with row-length fallbacks.
const QuantLabel &provisionalLabel(const MixCurveRequest &request, const GgufModel &model,
                                   const ImportanceMatrix *imatrix) {
    if (request.baseLabel) return resolveAlias(*request.baseLabel);
    for (const char *name : {"Q8_0", "Q6_K", "Q4_K_M", "Q5_K_M", "Q3_K_M"}) {
        const QuantLabel &label = *findQuantLabel(name, request.rules);
        try {
            decideMix(model, label, ruleOptions(request.rules), imatrix);
            return label;
        } catch (const Error &) {
        }
    }
    return *findQuantLabel("Q8_0", request.rules);  // its refusal then names the problem
}

// A base label must let --tensor-type overrides through: labels of an unquantized base type
// (F16, BF16, F32) and COPY give every tensor their own type before any pattern is consulted.
void checkBaseLabel(const QuantLabel &label) {
    if (label.copyOnly || !typeTraits(label.baseType).quantized)
        throw Error(std::string("--base-label ") + label.name +
                    ": the base label must be a quantized label (its tensors' types are not overridable)");
}

} // namespace

std::vector<GgmlType> defaultCandidateTypes() {
    std::vector<GgmlType> types;
    for (const TypeTraits *t = allTypesBegin(); t != allTypesEnd(); ++t) {
        const GgmlType type = t->type;
        // Types newer than llama.cpp b4748 (which the exported command must run on) and F32 (the
        // optimizer targets sizes up to F16) are offered only when asked for.
        if (type == GgmlType::F32 || type == GgmlType::MXFP4 || type == GgmlType::NVFP4 || type == GgmlType::Q1_0 ||
            type == GgmlType::Q2_0)
            continue;
        if (canQuantize(type)) types.push_back(type);
    }
    return types;
}

MixCurves buildMixCurves(ModelAnalyzer &analyzer, const MixCurveRequest &request) {
    const auto start = std::chrono::steady_clock::now();
    const GgufModel &model = analyzer.model();
    const ImportanceMatrix *imatrix = analyzer.importanceMatrix();
    const QuantLabel &label = provisionalLabel(request, model, imatrix);
    checkBaseLabel(label);
    for (const auto &pin : request.pins)
        if (!canQuantize(pin.type) && pin.type != GgmlType::F32)
            throw Error("--pin " + pin.pattern + "=" + typeName(pin.type) + ": QuantBench cannot write that type");

    MixCurves curves;
    curves.model = &model;
    curves.rules = request.rules;
    curves.baseLabel = request.baseLabel;
    curves.provisionalLabel = &label;
    curves.weighted = analyzer.hasImportance();
    curves.pins = request.pins;
    curves.planOptions = request.planOptions;
    curves.sensitivity = request.sensitivity;

    // The base decision: order, which tensors llama.cpp quantizes, and the exact header.
    const MixDecision base = decideMix(model, label, ruleOptions(request.rules), imatrix);
    const ExecutionPlan plan = buildExecutionPlan(model, base, analyzer.sharedImportance(), request.planOptions);
    const GgufLayout layout = plannedLayout(model, plan);
    curves.headerBytes = layout.dataOffset;
    curves.alignment = layout.alignment;

    std::vector<std::string> pinPatterns;
    for (const auto &pin : request.pins) pinPatterns.push_back(pin.pattern);
    const std::vector<TensorPattern> pins = compileTensorPatterns(pinPatterns, "--pin");
    std::vector<bool> pinUsed(pins.size(), false);

    bool hasOutput = false;
    for (const auto &t : model.tensors()) hasOutput = hasOutput || t.info->name == "output.weight";
    const std::vector<GgmlType> types = request.types.empty() ? defaultCandidateTypes() : request.types;

    // What the rules allow: a candidate is kept only if overriding this one tensor with it
    // gives exactly it (no row-length fallback, no refusal for missing importance data).
    auto allowed = [&](const TensorDecision &d, GgmlType type) -> bool {
        const GgufTensorInfo &info = *model.tensors()[d.tensor].info;
        if (info.ne[0] % typeTraits(type).blockSize != 0) return false;
        if (type != d.source && !canQuantize(type)) return false;
        if (needsImportance(type) && analyzer.importanceFor(d.tensor).empty()) return false;
        QuantizeOptions trial = ruleOptions(request.rules);
        trial.tensorTypes.push_back({exactNamePattern(d.name), type});
        try {
            const MixDecision m = decideMix(model, label, trial, imatrix);
            for (const auto &t : m.tensors)
                if (t.tensor == d.tensor) return t.target == type;
        } catch (const Error &) {
            return false;
        }
        return false;
    };

    std::vector<MixEntry> pairs;
    for (const TensorDecision &d : base.tensors) {
        if (request.cancel && request.cancel->load()) throw Error("fit to size: cancelled", ErrorKind::Cancelled);
        const GgufTensorInfo &info = *model.tensors()[d.tensor].info;
        TensorCurve c;
        c.tensor = d.tensor;
        c.name = d.name;
        c.role = tensorRole(d.name, hasOutput);
        c.parameters = uint64_t(info.elements());
        curves.parameters += c.parameters;
        c.fixedType = d.target;
        c.fixedReason = d.reason;
        if (d.quantizable) {
            for (size_t i = 0; i < pins.size(); ++i) {
                if (!pins[i].search(d.name)) continue;
                pinUsed[i] = true;
                const GgmlType type = request.pins[i].type;
                if (!allowed(d, type))
                    throw Error("--pin " + request.pins[i].pattern + "=" + upper(type) + ": tensor " + d.name +
                                " cannot take " + upper(type) +
                                " (row length, importance data or llama-quantize's rules)");
                c.fixedType = type;
                c.fixedReason = "pinned: " + request.pins[i].pattern + "=" + upper(type);
                break;
            }
            if (c.fixedReason.rfind("pinned: ", 0) != 0) {
                c.free = true;
                for (GgmlType type : types)
                    if (allowed(d, type)) c.points.push_back({type, 0, 0, 0, 0});
                if (c.points.empty())
                    throw Error("tensor " + d.name + ": none of the candidate types is valid for it (row length " +
                                std::to_string(info.ne[0]) + ")");
            }
        }
        if (!c.free) c.points.push_back({c.fixedType, 0, 0, 0, 0});
        for (const auto &p : c.points)
            if (p.type != info.type) pairs.push_back({c.tensor, p.type});
        curves.tensors.push_back(std::move(c));
    }
    for (size_t i = 0; i < pins.size(); ++i)
        if (!pinUsed[i])
            throw Error("--pin " + request.pins[i].pattern + "=" + upper(request.pins[i].type) +
                        ": matches no tensor that llama-quantize quantizes");

    curves.analysesRun = analyzer.analyzePairs(pairs, request.mode, request.threads, request.cancel, request.progress);

    for (TensorCurve &c : curves.tensors) {
        const GgufTensorInfo &info = *model.tensors()[c.tensor].info;
        const double share = curves.parameters ? double(c.parameters) / double(curves.parameters) : 0.0;
        for (auto &p : c.points) {
            p.dataBytes = dataBytesOf(info, p.type);
            p.fileBytes = ggufPaddedBytes(p.dataBytes, curves.alignment);
            if (p.type == info.type) continue;  // kept as stored: no error
            const auto a = analyzer.analyze(c.tensor, p.type, request.mode, 0, {}, 1, request.cancel);
            p.plainError = share * squaredRelative(*a);
            p.error = p.plainError * request.sensitivity.of(c.role);
        }
    }

    // Labels that can name the result when no base label was given (their rules need nothing
    // the result lacks: no importance-only labels, and Q2_K_S, whose rules refuse Q2_K without it).
    if (!request.baseLabel)
        for (const QuantLabel *candidate : quantLabels(request.rules)) {
            const QuantLabel &l = *candidate;
            if (l.aliasOf || l.copyOnly || l.needsImportance || !typeTraits(l.baseType).quantized ||
                l.ftype == LlamaFtype::Q2_K_S)
                continue;
            try {
                const MixDecision m = decideMix(model, l, ruleOptions(request.rules), imatrix);
                uint64_t bytes = 0;
                for (const auto &t : m.tensors) bytes += dataBytesOf(*model.tensors()[t.tensor].info, t.target);
                curves.labelSizes.emplace_back(&l, bytes);
            } catch (const Error &) {
            }
        }
    curves.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return curves;
}

namespace {

struct Budgeted {
    std::vector<AllocationItem> items;  // one per free tensor
    std::vector<size_t> freeIndex;      // curves.tensors index of each item
    uint64_t fixedCost = 0;
};

// File mode: costs are padded bytes plus the header; bpw mode: unpadded tensor data.
Budgeted costsFor(const MixCurves &curves, bool fileMode) {
    Budgeted b;
    b.fixedCost = fileMode ? curves.headerBytes : 0;
    for (size_t i = 0; i < curves.tensors.size(); ++i) {
        const TensorCurve &c = curves.tensors[i];
        if (!c.free) {
            b.fixedCost += fileMode ? c.points.front().fileBytes : c.points.front().dataBytes;
            continue;
        }
        AllocationItem item;
        for (const auto &p : c.points) item.points.push_back({fileMode ? p.fileBytes : p.dataBytes, p.error});
        b.items.push_back(std::move(item));
        b.freeIndex.push_back(i);
    }
    return b;
}

std::string formatRate(double errorPerByte) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "optimizer: %.2g error saved per KB", errorPerByte * 1024.0);
    return buf;
}

} // namespace

SizeRange feasibleRange(const MixCurves &curves) {
    SizeRange r;
    uint64_t smallData = 0, largeData = 0;
    r.smallestFile = r.largestFile = curves.headerBytes;
    for (const TensorCurve &c : curves.tensors) {
        uint64_t minF = UINT64_MAX, maxF = 0, minD = UINT64_MAX, maxD = 0;
        for (const auto &p : c.points) {
            minF = std::min(minF, p.fileBytes), maxF = std::max(maxF, p.fileBytes);
            minD = std::min(minD, p.dataBytes), maxD = std::max(maxD, p.dataBytes);
        }
        r.smallestFile += minF, r.largestFile += maxF, smallData += minD, largeData += maxD;
    }
    if (curves.parameters) {
        r.smallestBpw = 8.0 * double(smallData) / double(curves.parameters);
        r.largestBpw = 8.0 * double(largeData) / double(curves.parameters);
    }
    return r;
}

OptimizedMix solveForTarget(const MixCurves &curves, const SizeTarget &target) {
    const bool fileMode = target.kind == SizeTarget::Kind::FileBytes;
    const Budgeted b = costsFor(curves, fileMode);
    // bpw: the tensor data may hold at most bpw · N / 8 bytes (rounded down: never over).
    const uint64_t limit =
        fileMode ? target.bytes : uint64_t(std::floor(target.bitsPerWeight * double(curves.parameters) / 8.0));
    const uint64_t budget = limit >= b.fixedCost ? limit - b.fixedCost : 0;
    const Allocation a = allocateWithinBudget(b.items, budget);
    if (limit < b.fixedCost || !a.feasible) {
        const SizeRange range = feasibleRange(curves);
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      "no mix fits in %s: the smallest possible output is %llu bytes (%.4f bits per weight)",
                      target.describe().c_str(), (unsigned long long)range.smallestFile, range.smallestBpw);
        throw Error(buf);
    }

    OptimizedMix mix;
    mix.target = target;
    mix.rules = curves.rules;
    mix.parameters = curves.parameters;
    mix.lambda = a.lambda;
    std::vector<int> itemOf(curves.tensors.size(), -1);
    for (size_t k = 0; k < b.freeIndex.size(); ++k) itemOf[b.freeIndex[k]] = int(k);
    double plain = 0;
    mix.fileBytes = curves.headerBytes;
    for (size_t i = 0; i < curves.tensors.size(); ++i) {
        const TensorCurve &c = curves.tensors[i];
        OptimizedTensor t;
        t.tensor = c.tensor;
        t.name = c.name;
        t.free = c.free;
        const int item = itemOf[i];
        const auto &p = item >= 0 ? c.points[a.choice[size_t(item)]] : c.points.front();
        t.type = p.type;
        t.bytes = p.dataBytes;
        t.error = p.error;
        if (item < 0)
            t.reason = c.fixedReason;
        else if (a.savedPerCost[size_t(item)] > 0)
            t.reason = formatRate(a.savedPerCost[size_t(item)]);
        else
            t.reason = "optimizer: smallest candidate (no larger type was worth its bytes within the target)";
        mix.fileBytes += p.fileBytes;
        mix.tensorBytes += p.dataBytes;
        mix.objective += p.error;
        plain += p.plainError;
        mix.tensors.push_back(std::move(t));
    }
    mix.relativeError = std::sqrt(plain);
    mix.bitsPerWeight = mix.parameters ? 8.0 * double(mix.tensorBytes) / double(mix.parameters) : 0.0;
    if ((fileMode && mix.fileBytes > target.bytes) || (!fileMode && mix.tensorBytes > limit))
        throw std::logic_error("solveForTarget: the mix exceeds its budget");

    mix.baseLabel = curves.baseLabel;
    if (!mix.baseLabel) {
        // The label of the closest size names the file's type (general.file_type) and its 1-D tensors' rules.
        uint64_t bestDistance = UINT64_MAX;
        for (const auto &[label, bytes] : curves.labelSizes) {
            const uint64_t d = bytes > mix.tensorBytes ? bytes - mix.tensorBytes : mix.tensorBytes - bytes;
            if (d < bestDistance) bestDistance = d, mix.baseLabel = label;
        }
        if (!mix.baseLabel) mix.baseLabel = curves.provisionalLabel;
    }
    return mix;
}

MixPreset OptimizedMix::toPreset(const std::string &imatrixFile) const {
    MixPreset p;
    // The preset names the rule set the optimizer decided with, so that quantizing it (whatever
    // the default rule set) gives exactly the optimizer's types.
    p.ruleSet = rules;
    p.baseLabel = baseLabel->name;
    for (const OptimizedTensor &t : tensors)
        if (t.free || t.reason.rfind("pinned: ", 0) == 0) p.tensorTypes[t.name] = t.type;
    p.imatrixFile = imatrixFile;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "optimizer: target %s; objective %.6g (predicted relative error %.6g); %llu bytes, %.4f bits per weight",
                  target.describe().c_str(), objective, relativeError, (unsigned long long)fileBytes, bitsPerWeight);
    p.notes = buf;
    return p;
}

std::string OptimizedMix::tensorTypeFileText() const {
    std::string text;
    for (const OptimizedTensor &t : tensors)
        if (t.free || t.reason.rfind("pinned: ", 0) == 0)
            text += exactNamePattern(t.name) + "=" + typeName(t.type) + "\n";
    return text;
}

MixDecision decisionFor(const MixCurves &curves, const OptimizedMix &mix, const ImportanceMatrix *imatrix) {
    const MixPreset preset = mix.toPreset(curves.planOptions.imatrixFile);
    MixDecision d = decideMix(*curves.model, preset.label(), preset.toOptions(), imatrix);
    if (d.tensors.size() != mix.tensors.size()) throw std::logic_error("decisionFor: tensor count differs");
    for (size_t i = 0; i < d.tensors.size(); ++i) {
        if (d.tensors[i].tensor != mix.tensors[i].tensor || d.tensors[i].target != mix.tensors[i].type)
            throw std::logic_error("decisionFor: the rules give " + d.tensors[i].name + " " +
                                   typeName(d.tensors[i].target) + ", not the optimizer's " +
                                   typeName(mix.tensors[i].type));
        if (mix.tensors[i].free) d.tensors[i].reason = mix.tensors[i].reason;
    }
    return d;
}

std::pair<double, double> mixLoss(ModelAnalyzer &analyzer, const MixCurves &curves, const MixDecision &mix,
                                  AnalysisMode mode, int threads) {
    const GgufModel &model = analyzer.model();
    analyzer.analyzePairs(mix.mixEntries(), mode, threads);
    bool hasOutput = false;
    for (const auto &t : model.tensors()) hasOutput = hasOutput || t.info->name == "output.weight";
    double objective = 0, plain = 0;
    for (const TensorDecision &d : mix.tensors) {
        const GgufTensorInfo &info = *model.tensors()[d.tensor].info;
        if (d.target == info.type) continue;
        const double share = double(info.elements()) / double(curves.parameters);
        const double e = share * squaredRelative(*analyzer.analyze(d.tensor, d.target, mode, 0, {}, 1));
        plain += e;
        objective += e * curves.sensitivity.of(tensorRole(d.name, hasOutput));
    }
    return {objective, std::sqrt(plain)};
}

} // namespace qb
