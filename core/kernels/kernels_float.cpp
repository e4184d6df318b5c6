// F32, F16 and BF16 as "kernels": conversion is their quantization.
#include "float_convert.h"
#include "kernels/kernel_ops.h"

#include <cstring>

namespace qb {
namespace {

size_t quantizeF32(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    std::memcpy(dst, src, size_t(nrows * ncols) * sizeof(float));
    return size_t(nrows * ncols) * sizeof(float);
}

void dequantizeF32(const void *src, float *dst, int64_t n) { std::memcpy(dst, src, size_t(n) * sizeof(float)); }

size_t quantizeF16(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    auto *out = static_cast<uint16_t *>(dst);
    const int64_t n = nrows * ncols;
    for (int64_t i = 0; i < n; ++i) out[i] = fp32ToFp16(src[i]);
    return size_t(n) * 2;
}

void dequantizeF16(const void *src, float *dst, int64_t n) {
    const auto *in = static_cast<const uint16_t *>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = fp16ToFp32(in[i]);
}

size_t quantizeBF16(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    auto *out = static_cast<uint16_t *>(dst);
    const int64_t n = nrows * ncols;
    for (int64_t i = 0; i < n; ++i) out[i] = fp32ToBf16(src[i]);
    return size_t(n) * 2;
}

void dequantizeBF16(const void *src, float *dst, int64_t n) {
    const auto *in = static_cast<const uint16_t *>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16ToFp32(in[i]);
}

constexpr KernelOps kF32{GgmlType::F32, quantizeF32, nullptr, dequantizeF32, false};
constexpr KernelOps kF16{GgmlType::F16, quantizeF16, nullptr, dequantizeF16, false};
constexpr KernelOps kBF16{GgmlType::BF16, quantizeBF16, nullptr, dequantizeBF16, false};

} // namespace

const KernelOps *floatKernelOps(GgmlType type) {
    switch (type) {
    case GgmlType::F32: return &kF32;
    case GgmlType::F16: return &kF16;
    case GgmlType::BF16: return &kBF16;
    default: return nullptr;
    }
}

} // namespace qb
