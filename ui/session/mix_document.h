// The mix being edited: one chosen type per tensor, why it was chosen, and the user's overrides.
//
// Contract: a label's assignment (from the mix rules) is the base; overrides sit on top of it and
// survive a change of label, because they are the user's decisions. An override is refused for a
// type whose block size does not divide the tensor's row length. Tensor indices are those of
// GgufModel::tensors(). changed() carries the tensors whose choice changed (all of them after
// reset or a new label), so views update only what they must.
#pragma once

#include "analysis/model_analyzer.h"
#include "gguf/gguf_model.h"

#include <QList>
#include <QObject>
#include <QString>

#include <map>
#include <vector>

namespace qbui {

struct TensorChoice {
    qb::GgmlType type = qb::GgmlType::F32;
    QString reason;
    bool overridable = true; // the mix rules would honour an explicit type for this tensor
};

class MixDocument final : public QObject {
    Q_OBJECT
  public:
    explicit MixDocument(QObject *parent = nullptr);

    // A new model: every tensor keeps its stored type, no label, no overrides.
    void reset(std::shared_ptr<const qb::GgufModel> model);
    // The label's assignment for every tensor, in model order (size must equal the tensor count).
    void applyLabel(const QString &label, std::vector<TensorChoice> base);
    // A size-fitted mix (Fit to size): like applyLabel, label being its base label, but the
    // types are the optimizer's, so presets and commands must name every tensor's type.
    void applyFittedMix(const QString &label, std::vector<TensorChoice> base);
    bool isFitted() const { return m_fitted; }

    // Returns false (and changes nothing) if the type cannot hold some tensor's rows or the
    // rules never change that tensor (1-D tensors, norms, or a label that converts to a float type).
    bool setOverride(const QList<int> &tensors, qb::GgmlType type);
    void clearOverrides(const QList<int> &tensors);
    void clearAllOverrides();

    static bool typeFits(const qb::GgufTensorInfo &info, qb::GgmlType type);

    int tensorCount() const { return int(m_base.size()); }
    QString label() const { return m_label; }
    qb::GgmlType chosenType(int tensor) const;
    QString reason(int tensor) const;
    bool isOverridden(int tensor) const { return m_overrides.count(tensor) != 0; }
    bool isOverridable(int tensor) const { return m_base.at(size_t(tensor)).overridable; }
    int overrideCount() const { return int(m_overrides.size()); }
    const std::map<int, qb::GgmlType> &overrides() const { return m_overrides; }

    uint64_t bytesAfter(int tensor) const;
    uint64_t totalBytesAfter() const;
    double bitsPerWeightAfter() const;
    std::vector<qb::MixEntry> entries() const;
    // The label's name, or "<label> + n overrides" once the user has changed something.
    QString displayName() const;

  signals:
    void changed(const QList<int> &tensors);
    void labelChanged(const QString &label);

  private:
    QList<int> allTensors() const;

    std::shared_ptr<const qb::GgufModel> m_model;
    std::vector<TensorChoice> m_base;
    std::map<int, qb::GgmlType> m_overrides;
    QString m_label;
    bool m_fitted = false;
};

} // namespace qbui
