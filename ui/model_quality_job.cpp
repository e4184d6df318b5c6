#include "model_quality_job.h"

#include "error.h"
#include "eval/evaluation_runner.h"
#include "eval/temporary_candidate.h"
#include "gguf/gguf_model.h"

#include <QCryptographicHash>
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

// Content hash, read in 1 MiB pieces (memory bounded whatever the file size).
QString contentHash(const QString &path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) throw qb::Error(path.toStdString() + ": cannot be read");
    QCryptographicHash h(QCryptographicHash::Sha1);
    if (!h.addData(&f)) throw qb::Error(path.toStdString() + ": read error");
    return QString::fromLatin1(h.result().toHex());
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
    return q;
}

} // namespace

ModelQualityJob::ModelQualityJob(QObject *parent) : QObject(parent) {}

ModelQualityJob::~ModelQualityJob() {
    cancel();
    m_workers.waitAll();
}

bool ModelQualityJob::available() { return qb::eval::scorerAvailable(); }
QString ModelQualityJob::missingMessage() { return QString::fromStdString(qb::eval::scorerMissingMessage()); }

void ModelQualityJob::cancel() {
    if (m_cancel) m_cancel->store(true);
}

void ModelQualityJob::start(const Request &request) {
    cancel();
    const quint64 job = ++m_job;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_running = true;
    auto cancelFlag = m_cancel;
    // Results of a job replaced by a newer one are dropped (job id).
    const auto post = [this, job](auto fn) {
        QMetaObject::invokeMethod(this, [this, job, fn] { if (job == m_job) fn(); }, Qt::QueuedConnection);
    };
    m_workers.add(QtConcurrent::run([this, request, cancelFlag, post, job] {
        QString error;
        bool cancelled = false;
        try {
            const QString keyTail = QStringLiteral("|%1|%2|%3").arg(contentHash(request.text)).arg(request.ctx).arg(request.chunks);
            const QString baseHash = contentHash(request.base);
            struct Item { QString name, file, key; };
            std::vector<Item> todo;
            const auto lookup = [&](const QString &name, const QString &file, const QString &key) {
                std::lock_guard lock(g_cacheMutex);
                if (const auto it = g_cache.constFind(key); it != g_cache.constEnd()) {
                    const MeasuredQuality q = *it;
                    post([this, name, q] { emit measured(name, q); });
                } else {
                    todo.push_back({name, file, key});
                }
            };
            for (const QString &l : request.labels) lookup(l, {}, baseHash + QStringLiteral("|label:") + l + keyTail);
            for (const QString &f : request.files) lookup(QFileInfo(f).fileName(), f, contentHash(f) + QStringLiteral("|base:") + baseHash + keyTail);
            if (!todo.empty()) {
                qb::eval::EvalSettings settings;
                settings.text = request.text.toStdString();
                settings.ctx = request.ctx;
                settings.chunks = request.chunks;
                settings.scorer.threads = request.threads;
                settings.scorer.cancel = cancelFlag.get();
                QString phase = tr("base model");
                qb::eval::EvaluationRunner runner(request.base.toStdString(), settings, [&](const qb::eval::EvalProgress &p) {
                    const QString model = phase;
                    post([this, model, p] { emit progress(model, p.chunk, p.chunks, p.etaSeconds); });
                });
                runner.prepareBase();
                std::unique_ptr<qb::GgufModel> baseModel;
                for (const Item &item : todo) {
                    phase = item.name;
                    std::unique_ptr<qb::eval::TemporaryCandidate> temp;
                    std::filesystem::path file = item.file.toStdString();
                    if (item.file.isEmpty()) {
                        if (!baseModel) baseModel = qb::GgufModel::open(request.base.toStdString());
                        qb::MixPreset preset;
                        preset.baseLabel = item.name.toStdString();
                        temp = std::make_unique<qb::eval::TemporaryCandidate>(
                            *baseModel, preset, std::filesystem::temp_directory_path(), request.threads, cancelFlag.get());
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
                    post([this, name, q] { emit measured(name, q); });
                }
            }
        } catch (const qb::Error &e) {
            cancelled = e.kind() == qb::ErrorKind::Cancelled;
            if (!cancelled) error = QString::fromStdString(e.what());
        } catch (const std::exception &e) {
            error = QString::fromStdString(e.what());
        }
        if (cancelFlag->load()) cancelled = true;
        post([this, cancelled, error] {
            m_running = false;
            emit finished(cancelled, error);
        });
        (void)job;
    }));
}

} // namespace qbui
