#include "label_plans.h"

#include "error.h"
#include "mix/mix_rules.h"
#include "mix/plan_builder.h"
#include "mix/quant_label.h"

#include <exception>

namespace qbui {

std::vector<LabelPlan> buildLabelPlans(const qb::GgufModel &model, const QStringList &labels,
                                       const qb::ImportanceMatrix *imatrix, const QString &imatrixPath) {
    std::vector<LabelPlan> plans;
    for (const QString &name : labels) {
        LabelPlan p;
        p.label = name;
        try {
            const qb::QuantLabel *label = qb::findQuantLabel(name.toStdString());
            if (!label) throw qb::Error("unknown label '" + name.toStdString() + "'");
            const qb::MixDecision mix = qb::decideMix(model, qb::resolveAlias(*label), {}, imatrix);
            qb::PlanOptions options;
            if (imatrix) options.imatrixFile = imatrixPath.toStdString();
            p.plan = qb::buildExecutionPlan(model, mix, imatrix, options);
        } catch (const std::exception &e) {
            p.refusal = QString::fromUtf8(e.what());
        }
        plans.push_back(std::move(p));
    }
    return plans;
}

QString outputFileName(const QString &pattern, const QString &modelName, const QString &label) {
    QString name = pattern;
    name.replace(QStringLiteral("{model}"), modelName);
    name.replace(QStringLiteral("{label}"), label);
    return name;
}

} // namespace qbui
