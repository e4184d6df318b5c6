#include "model_quality_job.h"

#include "error.h"
#include "eval/evaluation_runner.h"
#include "eval/temporary_candidate.h"
#include "gguf/gguf_model.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QMetaObject>

#include <mutex>

namespace qbui {
namespace {

// The session cache (all jobs share it): key -> result.
std::mutex g_cacheMutex;
QHash<QString, MeasuredQuality> g_cache;

// Content hashes already computed this session, per (path, size, modification time): the base
// model is read once, not at every Measure (a large model takes minutes to hash). A file rewritten
// in place gets a new modification time, so its content is hashed again.
QHash<QString, QString> g_hashes;

// Content hash, read in 1 MiB pieces (memory bounded whatever the file size).
QString contentHash(const QString &path) {
    const QFileInfo info(path);
    const QString stamp = info.absoluteFilePath() + QLatin1Char('|') + QString::number(info.size()) + QLatin1Char('|') +
                          QString::number(info.lastModified().toMSecsSinceEpoch());
    {
        std::lock_guard lock(g_cacheMutex);
        if (const auto it = g_hashes.constFind(stamp); it != g_hashes.constEnd()) return *it;
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) throw qb::Error(path.toStdString() + ": cannot be read");
    QCryptographicHash h(QCryptographicHash::Sha1);
    if (!h.addData(&f)) throw qb::Error(path.toStdString() + ": read error");
    const QString hash = QString::fromLatin1(h.result().toHex());
    std::lock_guard lock(g_cacheMutex);
    g_hashes.insert(stamp, hash);
    return hash;
}

// A recipe quantized on the fly is the same candidate when the preset (without its notes and
// the importance matrix's path) and the importance matrix's content are the same: the quantizer
// is deterministic, so the file would be the same bytes.
QString recipeKey(const qb::MixPreset &preset) {
    qb::MixPreset recipe = preset;
    recipe.notes.clear();
    recipe.imatrixFile.clear();
    const QString imatrix =
        preset.imatrixFile.empty() ? QString() : contentHash(QString::fromStdString(preset.imatrixFile));
    return QStringLiteral("|mix:") + QString::fromStdString(recipe.toJson()) + QStringLiteral("|imatrix:") + imatrix;
}

MeasuredQuality toMeasured(const qb::eval::CandidateResult &r, uint64_t tensorBytes) {
    MeasuredQuality q;
    q.meanKld = r.stats.kld.value;
    q.p99Kld = r.stats.kld99;
    q.ppl = r.stats.ppl.value;
    q.deltaPpl = r.stats.pplDifference.value;
    q.sameTop = r.stats.sameTop.value;
    q.bitsPerWeight = r.bitsPerWeight;
    q.gigabytes = double(tensorBytes) / 1e9;
    q.fileBytes = r.bytes;
    return q;
}

} // namespace

ModelQualityJob::ModelQualityJob(QObject *parent) : QObject(parent), m_kept(std::make_shared<KeptBase>()) {}

ModelQualityJob::~ModelQualityJob() = default; // m_jobs cancels and waits for its worker

bool ModelQualityJob::available() { return qb::eval::scorerAvailable(); }
QString ModelQualityJob::missingMessage() { return QString::fromStdString(qb::eval::scorerMissingMessage()); }

// The worker still reports finished(cancelled): requestCancel, not cancel.
void ModelQualityJob::cancel() { m_jobs.requestCancel(); }

void ModelQualityJob::start(const Request &request) {
    // Starting supersedes the running job: its flag is set and its results are dropped.
    m_jobs.start(
        [request, kept = m_kept, self = this](const JobContext &job) { return measure(request, *kept, job, self); },
        [this](const Outcome &outcome) { emit finished(outcome.cancelled, outcome.error); });
}

// On the worker thread: `self` is used only inside job.post, which runs on the owner's thread
// while the job is current.
ModelQualityJob::Outcome ModelQualityJob::measure(const Request &request, KeptBase &kept, const JobContext &job,
                                                  ModelQualityJob *self) {
    const std::atomic<bool> *cancelFlag = job.cancelFlag();
    Outcome outcome;
    try {
        const QString keyTail =
            QStringLiteral("|%1|%2|%3").arg(contentHash(request.text)).arg(request.ctx).arg(request.chunks);
        const QString baseHash = contentHash(request.base);
        // A file, or a recipe quantized on the fly into a temporary file.
        struct Item {
            QString name, file, key;
            qb::MixPreset preset;
        };
        std::vector<Item> todo;
        const auto lookup = [&](Item item) {
            std::lock_guard lock(g_cacheMutex);
            if (const auto it = g_cache.constFind(item.key); it != g_cache.constEnd()) {
                const MeasuredQuality q = *it;
                job.post([self, name = item.name, q] { emit self->measured(name, q); });
            } else {
                todo.push_back(std::move(item));
            }
        };
        for (const QString &l : request.labels) {
            qb::MixPreset preset;
            preset.ruleSet = request.ruleSet;
            preset.baseLabel = l.toStdString();
            preset.imatrixFile = request.imatrix.toStdString();
            lookup({l, {}, baseHash + recipeKey(preset) + keyTail, preset});
        }
        for (const Mix &m : request.mixes)
            lookup({m.name, {}, baseHash + recipeKey(m.preset) + keyTail, m.preset});
        for (const QString &f : request.files)
            lookup({QFileInfo(f).fileName(), f, contentHash(f) + QStringLiteral("|base:") + baseHash + keyTail, {}});
        if (!todo.empty()) {
            // Files of another model are refused before the base model runs.
            std::unique_ptr<qb::GgufModel> baseModel = qb::GgufModel::open(request.base.toStdString());
            for (const Item &item : todo)
                if (!item.file.isEmpty())
                    qb::eval::checkCandidateFile(*baseModel, item.file.toStdString(), item.name.toStdString());
            // One worker at a time uses the kept base run (a replaced job's worker stops at its next chunk).
            std::lock_guard baseLock(kept.mutex);
            const QString baseKey = baseHash + keyTail + QStringLiteral("|threads:%1").arg(request.threads);
            if (!kept.runner || kept.key != baseKey || !kept.runner->prepared()) {
                kept.runner.reset(); // its base-logit file goes first: one on disk at a time
                qb::eval::EvalSettings settings;
                settings.text = request.text.toStdString();
                settings.ctx = request.ctx;
                settings.chunks = request.chunks;
                settings.scorer.threads = request.threads;
                kept.runner = std::make_unique<qb::eval::EvaluationRunner>(request.base.toStdString(), settings);
                kept.key = baseKey;
            }
            qb::eval::EvaluationRunner &runner = *kept.runner;
            QString phase = tr("base model");
            // The callbacks point into this worker: detached from the kept runner whatever
            // happens, and a base run that did not complete (cancelled, failed) is dropped
            // with its partial file.
            struct Attach {
                KeptBase &kept;
                ~Attach() {
                    if (!kept.runner->prepared()) {
                        kept.runner.reset();
                        return;
                    }
                    kept.runner->setProgress({});
                    kept.runner->setCancelFlag(nullptr);
                }
            } attach{kept};
            runner.setCancelFlag(cancelFlag);
            runner.setProgress([&](const qb::eval::EvalProgress &p) {
                const QString model = phase;
                job.post([self, model, p] { emit self->progress(model, p.chunk, p.chunks, p.etaSeconds); });
            });
            if (!runner.prepared()) runner.prepareBase();
            for (const Item &item : todo) {
                phase = item.name;
                std::unique_ptr<qb::eval::TemporaryCandidate> temp;
                std::filesystem::path file = item.file.toStdString();
                if (item.file.isEmpty()) {
                    temp = std::make_unique<qb::eval::TemporaryCandidate>(
                        *baseModel, item.preset, std::filesystem::temp_directory_path(), request.threads, cancelFlag);
                    file = temp->path();
                }
                const auto result = runner.evaluate(file, item.name.toStdString());
                const auto model = qb::GgufModel::open(file);
                const MeasuredQuality q = toMeasured(result, model->tensorBytes());
                {
                    std::lock_guard lock(g_cacheMutex);
                    g_cache.insert(item.key, q);
                }
                const QString name = item.name;
                job.post([self, name, q] { emit self->measured(name, q); });
            }
        }
    } catch (const qb::Error &e) {
        outcome.cancelled = e.kind() == qb::ErrorKind::Cancelled;
        if (!outcome.cancelled) outcome.error = QString::fromStdString(e.what());
    } catch (const std::exception &e) {
        outcome.error = QString::fromStdString(e.what());
    }
    if (job.cancelled()) outcome.cancelled = true;
    return outcome;
}

} // namespace qbui
