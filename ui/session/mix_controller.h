// Connects the mix rules (core/mix) to the document being edited: choosing a label, the size
// estimate of every label for this model, presets, the llama-quantize command and the plan the
// quantization runs.
//
// Contract: the document's overrides travel as the preset's exact tensor types, so a preset, the
// command line and the plan all give the file the table shows. Every failure is returned as a
// message naming what went wrong (label refused, bad preset field), never thrown to the caller.
#pragma once

#include "mix/preset.h"
#include "mix_document.h"
#include "model_session.h"
#include "pipeline/quantize_pipeline.h"

#include <QObject>
#include <QString>

#include <optional>
#include <vector>

namespace qbui {

// What one label would make of the loaded model.
struct LabelEstimate {
    const qb::QuantLabel *label = nullptr;
    bool available = false; // false: the rules refuse it for this model (see refusal)
    QString refusal;
    uint64_t bytes = 0; // tensor data after quantization
    double bitsPerWeight = 0;
    std::vector<qb::MixEntry> mix; // for ModelAnalyzer::summarize
};

class MixController final : public QObject {
    Q_OBJECT
  public:
    MixController(ModelSession *session, MixDocument *mix, QObject *parent = nullptr);

    // Canonical labels (no aliases, no COPY) of a rule set, estimated for the model and importance data.
    static std::vector<LabelEstimate> estimateLabels(const qb::GgufModel &model, const qb::ImportanceMatrix *imatrix,
                                                     qb::RuleSet rules = qb::RuleSet::B4748);

    // The llama.cpp whose rules decide the mix (kept across models); changing it re-applies the label.
    qb::RuleSet ruleSet() const { return m_ruleSet; }
    QString setRuleSet(qb::RuleSet rules);

    // Applies a label's mix to the document; returns an empty string or the refusal.
    QString chooseLabel(const QString &name);
    QString label() const { return m_mix->label(); }

    // The current mix as a preset (base label, options, overrides as exact tensor types).
    qb::MixPreset preset() const;
    QString exportPreset(const QString &path) const;
    QString importPreset(const QString &path);
    QString llamaQuantizeCommand(const QString &output) const;

    // The execution plan for the current mix; nullopt with a message when it cannot be built.
    // The plan shares the importance data it uses.
    std::optional<qb::ExecutionPlan> buildPlan(QString *error) const;

  signals:
    void labelApplied(const QString &label);

  private:
    // The importance data the rules and kernels see, after --include/--exclude-weights.
    std::shared_ptr<const qb::ImportanceMatrix> effectiveImportance(const qb::MixPreset &recipe) const;
    QString applyDecision(const QString &name, const qb::MixPreset &recipe);

    ModelSession *m_session;
    MixDocument *m_mix;
    qb::MixPreset m_recipe; // label and options; overrides live in the document
    qb::RuleSet m_ruleSet = qb::kDefaultRuleSet;
};

} // namespace qbui
