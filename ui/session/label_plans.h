// The execution plans of several labels for one model, as `quantize IN --labels ...` builds them:
// each label's own mix with the session's importance matrix (no per-mix options), so the GUI's
// multi-output job writes exactly what the CLI and llama-quantize write for each label: each label
// is a preset of that label alone, planned by core's planFromPreset as the CLI plans it.
//
// Contract: cheap (headers and importance-matrix names only); a label the rules refuse for this
// model comes back with its refusal instead of a plan. Each plan shares the importance data it uses.
#pragma once

#include "imatrix/importance_matrix.h"
#include "rule_set.h"
#include "pipeline/quantize_pipeline.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

namespace qbui {

struct LabelPlan {
    QString label;
    std::optional<qb::ExecutionPlan> plan;
    QString refusal; // set when plan is empty
};

// One plan per label under one rule set (the window's: "Quantize checked…" writes what the window's
// llama.cpp would, as the single quantize dialog does).
std::vector<LabelPlan> buildLabelPlans(const qb::GgufModel &model, const QStringList &labels,
                                       std::shared_ptr<const qb::ImportanceMatrix> imatrix, const QString &imatrixPath,
                                       qb::RuleSet rules = qb::RuleSet::B4748);

// A saved mix (preset file) as one more output, named after the file: its label, rules and options
// with the session's importance matrix. Refused (not loaded here: long work stays off the GUI
// thread) when the preset names another importance matrix than the one loaded, and, as by the CLI,
// when it names a tensor the model lacks.
LabelPlan buildPresetPlan(const qb::GgufModel &model, const QString &presetPath,
                          std::shared_ptr<const qb::ImportanceMatrix> imatrix, const QString &imatrixPath);

// The file name of one output: {model} and {label} of `pattern` replaced.
QString outputFileName(const QString &pattern, const QString &modelName, const QString &label);

} // namespace qbui
