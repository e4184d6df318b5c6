#include "mix/plan_from_preset.h"

#include "error.h"
#include "imatrix/importance_matrix.h"
#include "mix/quant_label.h"

namespace qb {

std::shared_ptr<const ImportanceMatrix> presetImportance(const MixPreset &preset,
                                                         std::shared_ptr<const ImportanceMatrix> loaded) {
    if (loaded && (!preset.includeWeights.empty() || !preset.excludeWeights.empty()))
        return std::make_shared<const ImportanceMatrix>(filterImportance(*loaded, preset.toOptions()));
    return loaded;
}

PresetPlan planFromPreset(const GgufModel &model, const MixPreset &preset, std::shared_ptr<const ImportanceMatrix> loaded,
                          const PresetRunOptions &options) {
    // A preset made for another model would silently change nothing for the names it lacks.
    for (const auto &[name, type] : preset.tensorTypes)
        if (!model.findTensor(name))
            throw Error("tensor_types names tensor '" + name + "', which the model does not have", ErrorKind::BadInput);
    QuantizeOptions quantize = preset.toOptions();
    quantize.keepSplit = !options.keepSplitOutput.empty();
    quantize.dryRun = options.dryRun;

    PresetPlan result;
    result.importance = presetImportance(preset, std::move(loaded));
    result.mix = decideMix(model, resolveAlias(preset.label()), quantize, result.importance.get());
    PlanOptions planOptions;
    planOptions.imatrixFile = preset.imatrixFile;
    planOptions.kvOverrides = options.kvOverrides;
    if (quantize.keepSplit)
        result.splits = buildSplitPlans(model, result.mix, result.importance, planOptions, options.keepSplitOutput);
    else
        result.plan = buildExecutionPlan(model, result.mix, result.importance, planOptions);
    return result;
}

} // namespace qb
