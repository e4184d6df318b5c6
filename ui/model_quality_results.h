// The Model quality tab's table: every candidate measured this session for the open model (labels,
// the current mix, files), one row each, with the numbers `evaluate` prints: file size, bits per
// weight, PPL, ΔPPL, mean and p99 KL divergence, same top token.
//
// Contract: setMeasured() adds or replaces a candidate's row (an invalid result removes it);
// rows stay in the order first measured. NumberRole gives the raw number of a numeric cell.
#pragma once

#include "measured_quality.h"

#include <QAbstractTableModel>
#include <QString>

#include <vector>

namespace qbui {

class ModelQualityResults final : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { Candidate, FileSize, Bits, Ppl, DeltaPpl, MeanKld, P99Kld, SameTop, ColumnCount };
    enum Role { NumberRole = Qt::UserRole + 1 };

    explicit ModelQualityResults(QObject *parent = nullptr);

    void setMeasured(const QString &name, const MeasuredQuality &quality);
    void clear();
    int rowOf(const QString &name) const;
    MeasuredQuality measured(const QString &name) const;

    int rowCount(const QModelIndex &parent = {}) const final;
    int columnCount(const QModelIndex &parent = {}) const final;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const final;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const final;

  private:
    struct Row {
        QString name;
        MeasuredQuality quality;
    };
    std::vector<Row> m_rows;
};

} // namespace qbui
