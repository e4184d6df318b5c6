#include "model_session.h"

#include "error.h"
#include "imatrix/importance_fit.h"

#include <QFileInfo>

namespace qbui {
namespace {

// What a background parse hands back: the value or a message, never an exception across threads.
template <typename T> struct Parsed {
    std::shared_ptr<const T> value;
    QString error;
};

QString describe(const std::exception &e) { return QString::fromUtf8(e.what()); }

template <typename T, typename Load> Parsed<T> parse(Load load) {
    Parsed<T> out;
    try {
        out.value = load();
    } catch (const std::exception &e) {
        out.error = describe(e);
    }
    return out;
}

} // namespace

ModelSession::ModelSession(QObject *parent) : QObject(parent) {}

void ModelSession::updateBusy() {
    if (m_busy == isLoading()) return;
    m_busy = isLoading();
    emit busyChanged(m_busy);
}

void ModelSession::open(const QString &path) {
    m_openJobs.start([path] { return parse<qb::GgufModel>([&] { return qb::GgufModel::open(path.toStdString()); }); },
                     [this, path](const Parsed<qb::GgufModel> &parsed) {
                         updateBusy();
                         if (!parsed.value) {
                             emit failed(tr("Could not open %1").arg(QFileInfo(path).fileName()), parsed.error);
                             return;
                         }
                         m_model = parsed.value;
                         m_path = path;
                         m_cache = std::make_shared<qb::AnalysisCache>(); // results of another model never apply
                         // An importance matrix belongs to one model; keep it only if it fits the new one too.
                         if (m_importance && !importanceFits()) {
                             m_importance.reset();
                             m_importancePath.clear();
                         }
                         rebuildAnalyzer();
                         emit modelOpened();
                     });
    updateBusy();
}

void ModelSession::loadImportance(const QString &path) {
    m_importanceJobs.start(
        [path] {
            return parse<qb::ImportanceMatrix>([&] {
                return std::make_shared<const qb::ImportanceMatrix>(qb::ImportanceMatrix::load(path.toStdString()));
            });
        },
        [this, path](const Parsed<qb::ImportanceMatrix> &parsed) {
            updateBusy();
            if (!parsed.value) {
                emit failed(tr("Could not load the importance matrix %1").arg(QFileInfo(path).fileName()),
                            parsed.error);
                return;
            }
            // Checked here, against the model open now (another may have been opened while loading):
            // a matrix made for another model is refused, as by the CLI, instead of weighting nonsense.
            if (m_model) {
                try {
                    qb::checkImportanceFits(*m_model, *parsed.value, QFileInfo(path).fileName().toStdString());
                } catch (const std::exception &e) {
                    emit failed(tr("Could not load the importance matrix %1").arg(QFileInfo(path).fileName()),
                                describe(e));
                    return;
                }
            }
            m_importance = parsed.value;
            m_importancePath = path;
            rebuildAnalyzer();
            emit importanceLoaded();
        });
    updateBusy();
}

void ModelSession::clearImportance() {
    if (!m_importance) return;
    m_importance.reset();
    m_importancePath.clear();
    rebuildAnalyzer();
    emit importanceLoaded();
}

bool ModelSession::importanceFits() const {
    try {
        qb::checkImportanceFits(*m_model, *m_importance, {});
        return true;
    } catch (const qb::Error &) {
        return false;
    }
}

int ModelSession::importanceCoverage() const {
    if (!m_model || !m_importance) return 0;
    int n = 0;
    for (const auto &t : m_model->tensors())
        n += m_importance->find(t.info->name) != nullptr;
    return n;
}

void ModelSession::rebuildAnalyzer() {
    if (!m_model) return;
    m_analyzer = std::make_shared<qb::ModelAnalyzer>(m_model, m_importance, m_cache);
}

} // namespace qbui
