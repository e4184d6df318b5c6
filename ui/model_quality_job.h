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
// between chunks (and inside llama_decode) and the job still reports finished(cancelled); a new
// start() supersedes the running job (its results are dropped); temporary files are removed. The
// work runs through a JobTracker (a thread of its own: minutes of work must not hold a pool
// thread the analyses need), whose destructor cancels and waits, so no result outlives the job.
#pragma once

#include "job_tracker.h"
#include "measured_quality.h"
#include "mix/preset.h"

#include <QObject>
#include <QStringList>

#include <memory>
#include <mutex>
#include <vector>

namespace qb::eval {
class EvaluationRunner;
}

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
        QString base;                              // the original model
        QString text;                              // the text to score
        QStringList labels;                        // quantized on the fly, one temporary file at a time, with:
        qb::RuleSet ruleSet = qb::kDefaultRuleSet; // the window's llama.cpp rules
        QString imatrix;                           // the window's importance matrix (empty: none)
        std::vector<Mix> mixes;                    // quantized on the fly too
        QStringList files;                         // quantized files of the same model
        int ctx = 0;                               // 0: 512 or the trained context if smaller
        int chunks = -1;                           // -1: all
        int threads = 0;
    };

    explicit ModelQualityJob(QObject *parent = nullptr);
    ~ModelQualityJob() override;

    void start(const Request &request);
    void cancel();
    bool isRunning() const { return m_jobs.isRunning(); }
    // True when llama.cpp is linked; otherwise what is needed, in one line.
    static bool available();
    static QString missingMessage();

  signals:
    void progress(const QString &model, int chunk, int chunks, double etaSeconds);
    void measured(const QString &name, const qbui::MeasuredQuality &quality);
    void finished(bool cancelled, const QString &error);

  private:
    // The last base model's run, shared by this job's workers one at a time (the mutex); owned
    // by the workers too, so the work touches nothing of this object.
    struct KeptBase {
        std::mutex mutex;
        QString key;
        std::unique_ptr<qb::eval::EvaluationRunner> runner;
    };
    // What a worker hands back at its end.
    struct Outcome {
        bool cancelled = false;
        QString error;
    };
    static Outcome measure(const Request &request, KeptBase &kept, const JobContext &job, ModelQualityJob *self);

    std::shared_ptr<KeptBase> m_kept;                 // made in the .cpp, where EvaluationRunner is complete
    JobTracker m_jobs{JobTracker::Runner::OwnThread}; // last: destroyed (waiting for its worker) first
};

} // namespace qbui
