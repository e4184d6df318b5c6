// Every quantization label with its description, its size for the loaded model, and, once the
// size-against-quality chart has computed it, its aggregate error.
//
// Contract: rows follow llama-quantize's listing order; SortRole gives numbers for the numeric
// columns. Labels the rules refuse for this model stay listed, disabled, with the reason.
// Available labels carry a check box (Qt::CheckStateRole on the Label column): a plain set of
// ticked names that any batch action (Measure model quality, Quantize checked…) reads with
// checkedLabels(); ticks survive a new estimate for the names still available. Measured model quality
// (mean KLD, ΔPPL) fills the last two columns.
#pragma once

#include "measured_quality.h"
#include "mix_controller.h"

#include <QAbstractTableModel>

#include <cmath>

namespace qbui {

class LabelTableModel final : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { Label, Size, Bits, Error, Description, MeanKld, DeltaPpl, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, NameRole };

    explicit LabelTableModel(QObject *parent = nullptr);

    void setEstimates(std::vector<LabelEstimate> estimates);
    const std::vector<LabelEstimate> &estimates() const { return m_estimates; }
    const LabelEstimate *find(const QString &name) const;
    int rowOf(const QString &name) const;
    void setCurrentLabel(const QString &name);
    // Aggregate relative RMSE of a label (NaN: unknown); failure when it could not be computed.
    void setQuality(const QString &name, double relativeRmse, const QString &failure = {});
    double quality(const QString &name) const;

    // Check boxes of the available labels (kept across setEstimates for labels still available).
    void setChecked(const QString &name, bool checked);
    bool isChecked(const QString &name) const;
    QStringList checkedLabels() const; // in row order
    // Model-level quality measured through llama.cpp (invalid: clears it).
    void setMeasured(const QString &name, const MeasuredQuality &quality);
    MeasuredQuality measured(const QString &name) const;

    int rowCount(const QModelIndex &parent = {}) const final;
    int columnCount(const QModelIndex &parent = {}) const final;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const final;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const final;
    Qt::ItemFlags flags(const QModelIndex &index) const final;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) final;

  signals:
    void checkedLabelsChanged();

  private:
    std::vector<LabelEstimate> m_estimates;
    std::vector<double> m_quality;
    std::vector<QString> m_qualityFailure;
    QString m_current;
    std::vector<bool> m_checked;
    std::vector<MeasuredQuality> m_measured;
};

} // namespace qbui
