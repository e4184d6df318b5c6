#include "golden.h"

#include "float_convert.h"

#include <QCryptographicHash>

#include <fstream>
#include <stdexcept>

namespace qbtest {

std::filesystem::path golden(const std::string &relative) {
    return std::filesystem::path(QB_GOLDEN_DIR) / relative;
}

std::vector<uint8_t> readAll(const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::vector<float> tensorAsF32(const qb::GgufFile &file, const std::string &name) {
    const qb::GgufTensorInfo *info = file.findTensor(name);
    if (!info) throw std::runtime_error("no tensor " + name);
    const auto bytes = file.tensorData(*info);
    std::vector<float> out(size_t(info->elements()));
    const auto *u16 = reinterpret_cast<const uint16_t *>(bytes.data());
    switch (info->type) {
    case qb::GgmlType::F32: std::memcpy(out.data(), bytes.data(), out.size() * 4); break;
    case qb::GgmlType::F16: for (size_t i = 0; i < out.size(); ++i) out[i] = qb::fp16ToFp32(u16[i]); break;
    case qb::GgmlType::BF16: for (size_t i = 0; i < out.size(); ++i) out[i] = qb::bf16ToFp32(u16[i]); break;
    default: throw std::runtime_error("tensor " + name + " is not a float tensor");
    }
    return out;
}

QString sha256Hex(const void *data, size_t size) {
    return QString::fromLatin1(
        QCryptographicHash::hash(QByteArrayView(static_cast<const char *>(data), qsizetype(size)),
                                 QCryptographicHash::Sha256)
            .toHex());
}

} // namespace qbtest
