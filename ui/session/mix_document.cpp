#include "mix_document.h"

#include "analysis/mix_size.h"
#include "gguf/tensor_bytes.h"

#include <numeric>

namespace qbui {

MixDocument::MixDocument(QObject *parent) : QObject(parent) {}

QList<int> MixDocument::allTensors() const {
    QList<int> all(int(m_base.size()));
    std::iota(all.begin(), all.end(), 0);
    return all;
}

void MixDocument::reset(std::shared_ptr<const qb::GgufModel> model) {
    m_model = std::move(model);
    m_base.clear();
    m_overrides.clear();
    m_label.clear();
    m_fitted = false;
    if (m_model) {
        for (const auto &t : m_model->tensors())
            m_base.push_back({t.info->type, tr("kept as stored (no label chosen)"), t.info->nDims >= 2});
    }
    emit labelChanged(m_label);
    emit changed(allTensors());
}

void MixDocument::applyFittedMix(const QString &label, std::vector<TensorChoice> base) {
    if (base.size() != m_base.size()) return;
    applyLabel(label, std::move(base));
    m_fitted = true;
}

void MixDocument::applyLabel(const QString &label, std::vector<TensorChoice> base) {
    if (base.size() != m_base.size()) return; // a stale assignment for another model
    m_fitted = false;
    m_base = std::move(base);
    m_label = label;
    // Overrides the new label cannot honour would make the table lie about the file: drop them.
    std::erase_if(m_overrides, [this](const auto &o) { return !m_base[size_t(o.first)].overridable; });
    emit labelChanged(m_label);
    emit changed(allTensors());
}

bool MixDocument::typeFits(const qb::GgufTensorInfo &info, qb::GgmlType type) {
    return info.rowLength() % qb::typeTraits(type).blockSize == 0;
}

bool MixDocument::setOverride(const QList<int> &tensors, qb::GgmlType type) {
    if (!m_model) return false;
    for (int t : tensors) {
        if (t < 0 || t >= tensorCount() || !m_base[size_t(t)].overridable ||
            !typeFits(*m_model->tensors()[size_t(t)].info, type))
            return false;
    }
    for (int t : tensors)
        m_overrides[t] = type;
    emit changed(tensors);
    return true;
}

void MixDocument::clearOverrides(const QList<int> &tensors) {
    QList<int> touched;
    for (int t : tensors) {
        if (m_overrides.erase(t)) touched.append(t);
    }
    if (!touched.isEmpty()) emit changed(touched);
}

void MixDocument::clearAllOverrides() {
    QList<int> touched;
    for (const auto &[t, type] : m_overrides)
        touched.append(t);
    m_overrides.clear();
    if (!touched.isEmpty()) emit changed(touched);
}

qb::GgmlType MixDocument::chosenType(int tensor) const {
    if (auto it = m_overrides.find(tensor); it != m_overrides.end()) return it->second;
    return m_base.at(size_t(tensor)).type;
}

QString MixDocument::reason(int tensor) const {
    if (isOverridden(tensor)) return tr("your override");
    return m_base.at(size_t(tensor)).reason;
}

uint64_t MixDocument::bytesAfter(int tensor) const {
    const qb::GgufTensorInfo &info = *m_model->tensors().at(size_t(tensor)).info;
    return qb::tensorBytesAt(info, chosenType(tensor));
}

uint64_t MixDocument::totalBytesAfter() const { return m_model ? qb::mixSize(*m_model, entries()).bytes : 0; }

double MixDocument::bitsPerWeightAfter() const {
    return m_model ? qb::mixSize(*m_model, entries()).bitsPerWeight : 0.0;
}

std::vector<qb::MixEntry> MixDocument::entries() const {
    std::vector<qb::MixEntry> out;
    out.reserve(m_base.size());
    for (int i = 0; i < tensorCount(); ++i)
        out.push_back({size_t(i), chosenType(i)});
    return out;
}

QString MixDocument::displayName() const {
    const QString base = m_label.isEmpty() ? tr("as stored")
                         : m_fitted        ? tr("%1 fitted to size").arg(m_label)
                                           : m_label;
    if (m_overrides.empty()) return base;
    return tr("%1 + %n override(s)", nullptr, int(m_overrides.size())).arg(base);
}

} // namespace qbui
