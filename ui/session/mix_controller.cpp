#include "mix_controller.h"

#include "analysis/label_table.h"
#include "error.h"
#include "formatting.h"
#include "mix/override_permission.h"
#include "mix/plan_builder.h"
#include "mix/plan_from_preset.h"

#include <QFileInfo>

namespace qbui {

MixController::MixController(ModelSession *session, MixDocument *mix, QObject *parent)
    : QObject(parent), m_session(session), m_mix(mix) {
    // A new model starts from the default recipe; the document has already been reset.
    connect(m_session, &ModelSession::modelOpened, this, [this] {
        m_recipe = qb::MixPreset{};
        m_recipe.ruleSet = m_ruleSet;
    });
    // New importance data changes what the rules decide: re-apply the label, keeping overrides.
    connect(m_session, &ModelSession::importanceLoaded, this, [this] {
        if (!m_mix->label().isEmpty()) applyDecision(m_mix->label(), m_recipe);
    });
}

std::vector<LabelEstimate> MixController::estimateLabels(const qb::GgufModel &model,
                                                         const qb::ImportanceMatrix *imatrix, qb::RuleSet rules) {
    qb::QuantizeOptions options;
    options.rules = rules;
    // Step one of core's label table: each label's mix and size, or the rules' refusal.
    std::vector<LabelEstimate> out;
    for (qb::LabelMix &m : qb::decideLabelMixes(model, qb::tableLabels(rules), options, imatrix)) {
        LabelEstimate e;
        e.label = m.label;
        e.available = m.refusal.empty();
        e.refusal = QString::fromStdString(m.refusal);
        e.bytes = m.size.bytes;
        e.bitsPerWeight = m.size.bitsPerWeight;
        e.mix = std::move(m.mix);
        out.push_back(std::move(e));
    }
    return out;
}

std::shared_ptr<const qb::ImportanceMatrix> MixController::effectiveImportance(const qb::MixPreset &recipe) const {
    return qb::presetImportance(recipe, m_session->importance());
}

QString MixController::applyDecision(const QString &name, const qb::MixPreset &recipe) {
    const auto model = m_session->model();
    if (!model) return tr("Open a model first.");
    try {
        qb::MixPreset withLabel = recipe;
        withLabel.baseLabel = name.toStdString();
        withLabel.tensorTypes.clear();
        const qb::QuantLabel &label = withLabel.label();
        const auto imatrix = effectiveImportance(withLabel);
        const qb::MixDecision decision = qb::decideMix(*model, label, withLabel.toOptions(), imatrix.get());
        std::vector<TensorChoice> choices(model->tensors().size());
        // Which tensors take a hand-chosen type is the rules' to say (core/mix/override_permission.h).
        const std::vector<bool> overridable = qb::overridableTensors(decision, withLabel.toOptions());
        for (size_t i = 0; i < decision.tensors.size(); ++i) {
            const qb::TensorDecision &d = decision.tensors[i];
            choices[d.tensor] = {d.target, QString::fromStdString(d.reason), overridable[i]};
        }
        m_recipe = withLabel;
        const QString resolved = QString::fromLatin1(decision.label->name);
        m_mix->applyLabel(resolved, std::move(choices));
        emit labelApplied(resolved);
        return {};
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
}

QString MixController::chooseLabel(const QString &name) { return applyDecision(name, m_recipe); }

QString MixController::setRuleSet(qb::RuleSet rules) {
    if (rules == m_ruleSet) return {};
    const qb::RuleSet before = m_ruleSet;
    m_ruleSet = rules;
    qb::MixPreset recipe = m_recipe;
    recipe.ruleSet = rules;
    if (m_mix->label().isEmpty() || !m_session->model()) {
        m_recipe = recipe;
        return {};
    }
    // The label must exist in the new rule set and its mix be accepted; otherwise nothing changes.
    if (QString error = applyDecision(m_mix->label(), recipe); !error.isEmpty()) {
        m_ruleSet = before;
        return error;
    }
    return {};
}

qb::MixPreset MixController::preset() const {
    qb::MixPreset p = m_recipe;
    if (!m_mix->label().isEmpty()) p.baseLabel = m_mix->label().toStdString();
    p.tensorTypes.clear();
    if (const auto model = m_session->model()) {
        for (const auto &[tensor, type] : m_mix->overrides())
            p.tensorTypes[model->tensors()[size_t(tensor)].info->name] = type;
        // A fitted mix is the optimizer's type for every tensor the rules let it choose.
        if (m_mix->isFitted())
            for (int t = 0; t < m_mix->tensorCount(); ++t)
                if (m_mix->isOverridable(t))
                    p.tensorTypes[model->tensors()[size_t(t)].info->name] = m_mix->chosenType(t);
    }
    p.imatrixFile = m_session->importancePath().toStdString();
    return p;
}

QString MixController::exportPreset(const QString &path) const {
    if (m_mix->label().isEmpty()) return tr("Choose a label first: a preset is a label plus your changes.");
    try {
        preset().save(path.toStdString());
        return {};
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
}

QString MixController::importPreset(const QString &path) {
    const auto model = m_session->model();
    if (!model) return tr("Open a model first.");
    qb::MixPreset loaded;
    try {
        loaded = qb::MixPreset::load(path.toStdString());
        (void)loaded.label();
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    // Check every named tensor before changing anything: a preset for another model is refused whole.
    QList<QPair<int, qb::GgmlType>> overrides;
    for (const auto &[name, type] : loaded.tensorTypes) {
        const auto *t = model->findTensor(name);
        if (!t)
            return tr("%1: the preset names tensor %2, which this model does not have")
                .arg(QFileInfo(path).fileName(), QString::fromStdString(name));
        overrides.append({int(t - model->tensors().data()), type});
    }
    if (QString error = applyDecision(QString::fromStdString(loaded.baseLabel), loaded); !error.isEmpty()) return error;
    m_ruleSet = loaded.ruleSet;
    m_mix->clearAllOverrides();
    for (const auto &[tensor, type] : overrides) {
        if (!m_mix->setOverride({tensor}, type))
            return tr("%1: type %2 cannot be used for tensor %3")
                .arg(QFileInfo(path).fileName(), typeLabel(type),
                     QString::fromStdString(model->tensors()[size_t(tensor)].info->name));
    }
    return {};
}

QString MixController::llamaQuantizeCommand(const QString &output) const {
    if (m_mix->label().isEmpty()) return {};
    const QString input = m_session->path();
    return QString::fromStdString(preset().toLlamaQuantizeCommand(input.toStdString(), output.toStdString()));
}

std::optional<qb::ExecutionPlan> MixController::buildPlan(QString *error) const {
    const auto model = m_session->model();
    if (!model || m_mix->label().isEmpty()) {
        if (error) *error = tr("Choose a label first.");
        return std::nullopt;
    }
    try {
        qb::PresetPlan planned = qb::planFromPreset(*model, preset(), m_session->importance());
        // The table promised these types; the plan must deliver exactly them.
        for (const qb::TensorDecision &d : planned.mix.tensors) {
            if (d.target != m_mix->chosenType(int(d.tensor)))
                throw qb::Error("the rules give " + d.name + " type " + qb::typeName(d.target) + ", not the " +
                                qb::typeName(m_mix->chosenType(int(d.tensor))) + " shown");
        }
        return std::move(planned.plan);
    } catch (const std::exception &e) {
        if (error) *error = QString::fromUtf8(e.what());
        return std::nullopt;
    }
}

} // namespace qbui
