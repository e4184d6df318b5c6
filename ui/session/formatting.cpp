#include "formatting.h"

#include <QLocale>

#include <charconv>
#include <cmath>

namespace qbui {

QString formatBytes(uint64_t bytes) {
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
    double v = double(bytes);
    int unit = 0;
    while (v >= 1000.0 && unit < 4) {
        v /= 1000.0;
        ++unit;
    }
    if (unit == 0) return QStringLiteral("%1 B").arg(bytes);
    return QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : (v < 100 ? 1 : 0)).arg(QLatin1String(units[unit]));
}

QString formatCount(uint64_t count) {
    if (count < 100000) return QLocale::c().toString(qulonglong(count));
    const double v = double(count);
    if (v >= 1e9) return QStringLiteral("%1 B").arg(v / 1e9, 0, 'f', 2);
    if (v >= 1e6) return QStringLiteral("%1 M").arg(v / 1e6, 0, 'f', 2);
    return QStringLiteral("%1 K").arg(v / 1e3, 0, 'f', 1);
}

QString formatShape(const qb::GgufTensorInfo &info) {
    QString s;
    for (uint32_t d = 0; d < std::max<uint32_t>(info.nDims, 1); ++d) {
        if (d) s += QStringLiteral(" × ");
        s += QString::number(info.ne[d]);
    }
    return s;
}

QString formatRelative(double relativeRmse) {
    if (!std::isfinite(relativeRmse)) return QStringLiteral("–");
    const double pct = relativeRmse * 100.0;
    return QStringLiteral("%1 %").arg(pct, 0, 'f', pct < 0.1 ? 4 : 3);
}

QString typeLabel(qb::GgmlType type) { return QString::fromLatin1(qb::typeName(type)).toUpper(); }

int layerOf(const std::string &tensorName) {
    if (tensorName.rfind("blk.", 0) != 0) return -1;
    int layer = -1;
    const char *begin = tensorName.data() + 4;
    const char *end = tensorName.data() + tensorName.size();
    auto [ptr, ec] = std::from_chars(begin, end, layer);
    if (ec != std::errc() || ptr == begin || ptr == end || *ptr != '.') return -1;
    return layer;
}

} // namespace qbui
