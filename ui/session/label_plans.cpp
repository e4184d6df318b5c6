#include "label_plans.h"

#include "error.h"
#include "mix/plan_from_preset.h"
#include "mix/preset.h"
#include "mix/quant_label.h"

#include <QFileInfo>

#include <exception>

namespace qbui {

std::vector<LabelPlan> buildLabelPlans(const qb::GgufModel &model, const QStringList &labels,
                                       std::shared_ptr<const qb::ImportanceMatrix> imatrix, const QString &imatrixPath,
                                       qb::RuleSet rules) {
    std::vector<LabelPlan> plans;
    for (const QString &name : labels) {
        LabelPlan p;
        p.label = name;
        try {
            // As the CLI's --labels: each label is a preset of that label alone, planned by core.
            if (!qb::findQuantLabel(name.toStdString(), rules))
                throw qb::Error("unknown label '" + name.toStdString() + "' under rule set " + qb::ruleSetName(rules));
            qb::MixPreset preset;
            preset.ruleSet = rules;
            preset.baseLabel = name.toStdString();
            if (imatrix) preset.imatrixFile = imatrixPath.toStdString();
            p.plan = qb::planFromPreset(model, preset, imatrix).plan;
        } catch (const std::exception &e) {
            p.refusal = QString::fromUtf8(e.what());
        }
        plans.push_back(std::move(p));
    }
    return plans;
}

LabelPlan buildPresetPlan(const qb::GgufModel &model, const QString &presetPath,
                          std::shared_ptr<const qb::ImportanceMatrix> imatrix, const QString &imatrixPath) {
    LabelPlan p;
    p.label = QFileInfo(presetPath).completeBaseName();
    try {
        const qb::MixPreset preset = qb::MixPreset::load(presetPath.toStdString());
        if (!preset.imatrixFile.empty() &&
            (!imatrix || QFileInfo(QString::fromStdString(preset.imatrixFile)).canonicalFilePath() !=
                             QFileInfo(imatrixPath).canonicalFilePath()))
            throw qb::Error("it uses the importance matrix '" + preset.imatrixFile +
                            "'; load that matrix in the window first");
        p.plan = qb::planFromPreset(model, preset, preset.imatrixFile.empty() ? nullptr : std::move(imatrix)).plan;
    } catch (const std::exception &e) {
        p.refusal = QString::fromUtf8(e.what());
    }
    return p;
}

QString outputFileName(const QString &pattern, const QString &modelName, const QString &label) {
    QString name = pattern;
    name.replace(QStringLiteral("{model}"), modelName);
    name.replace(QStringLiteral("{label}"), label);
    return name;
}

} // namespace qbui
