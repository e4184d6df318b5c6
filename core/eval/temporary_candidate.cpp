#include "eval/temporary_candidate.h"

#include "gguf/gguf_model.h"
#include "imatrix/importance_matrix.h"
#include "mix/mix_rules.h"
#include "mix/plan_builder.h"
#include "mix/quant_label.h"
#include "pipeline/quantize_pipeline.h"

#include <optional>
#include <string>
#include <unistd.h>

namespace qb::eval {

TemporaryCandidate::TemporaryCandidate(const GgufModel &model, const MixPreset &preset,
                                       const std::filesystem::path &directory, int threads,
                                       const std::atomic<bool> *cancel) {
    static std::atomic<unsigned> serial{0};
    m_path = directory / (".quantbench-candidate-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + "-" +
                          preset.baseLabel + ".gguf");
    const QuantizeOptions options = preset.toOptions();
    std::optional<ImportanceMatrix> imatrix;
    if (!preset.imatrixFile.empty())
        imatrix = filterImportance(ImportanceMatrix::load(preset.imatrixFile), options);
    const QuantLabel &label = resolveAlias(preset.label());
    const MixDecision mix = decideMix(model, label, options, imatrix ? &*imatrix : nullptr);
    PlanOptions planOptions;
    planOptions.imatrixFile = preset.imatrixFile;
    const ExecutionPlan plan = buildExecutionPlan(model, mix, imatrix ? &*imatrix : nullptr, planOptions);
    PipelineOptions po;
    po.threads = threads;
    po.cancel = cancel;
    // The pipeline writes under a hidden name and renames when complete: a failure leaves nothing.
    runQuantization(model, plan, m_path, po);
}

TemporaryCandidate::~TemporaryCandidate() {
    std::error_code ec;
    std::filesystem::remove(m_path, ec);
}

} // namespace qb::eval
