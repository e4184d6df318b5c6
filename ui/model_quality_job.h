// Measures model-level quality (KL divergence, perplexity through llama.cpp: core/eval) of
// labels and mixes (presets: the window's current mix) quantized on the fly and of files, in the
// background, one candidate after another.
//
// Contract: start() returns at once; progress (chunk i of n with an ETA), measured (one per
// candidate) and finally finished (cancelled, or a failure message) arrive on this object's
// thread. Results are cached for the session per (base file content, candidate, text content,
// context, chunks), a candidate being a file's content or a recipe (the preset's JSON with its
// importance matrix's content): measuring again what was measured returns at once, without
// running the base model. The base model's run (its log-probabilities on disk, one file) is kept
// for the next Measure with the same base, text, context, chunks and threads, so measuring one
// more label later runs that label only. Candidate files of another model are refused before the
// base model runs. cancel() stops the worker
// between chunks (and inside llama_decode); temporary files are removed. The destructor cancels
// and waits, so no result outlives the job.
#pragma once

#include "background.h"
#include "measured_quality.h"
#include "mix/preset.h"

#include <QObject>
#include <QStringList>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace qb::eval { class EvaluationRunner; }

namespace qbui {

class ModelQualityJob final : public QObject {
    Q_OBJECT
public:
    // A mix quantized on the fly under its own name (e.g. "your mix: Q4_K_M + 1 override").
    struct Mix {
        QString name;
        qb::MixPreset preset;
    };
    struct Request {
        QString base;          // the original model
        QString text;          // the text to score
        QStringList labels;    // quantized on the fly, one temporary file at a time, with:
        qb::RuleSet ruleSet = qb::kDefaultRuleSet;  // the window's llama.cpp rules
        QString imatrix;       // the window's importance matrix (empty: none)
        std::vector<Mix> mixes;  // quantized on the fly too
        QStringList files;     // quantized files of the same model
        int ctx = 0;           // 0: 512 or the trained context if smaller
        int chunks = -1;       // -1: all
        int threads = 0;
    };

    explicit ModelQualityJob(QObject *parent = nullptr);
    ~ModelQualityJob() override;

    void start(const Request &request);
    void cancel();
    bool isRunning() const { return m_running; }
    // True when llama.cpp is linked; otherwise what is needed, in one line.
    static bool available();
    static QString missingMessage();

signals:
    void progress(const QString &model, int chunk, int chunks, double etaSeconds);
    void measured(const QString &name, const qbui::MeasuredQuality &quality);
    void finished(bool cancelled, const QString &error);

private:
    // The last base model's run, shared by this job's workers one at a time (the mutex).
    struct KeptBase {
        std::mutex mutex;
        QString key;
        std::unique_ptr<qb::eval::EvaluationRunner> runner;
    };

    bool m_running = false;
    KeptBase m_kept;
    quint64 m_job = 0;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    PendingWork m_workers;
};

} // namespace qbui
