// The budget of a size-targeted mix: a file size or a number of bits per weight.
//
// Contract: parseSizeTarget accepts a bare integer (bytes) or a number with a unit: decimal
// kB/KB, MB, GB, TB (powers of 1000) or binary KiB, MiB, GiB, TiB (powers of 1024), the unit
// case-insensitive, with or without a space ("4.2GB", "4200MB", "4GiB"). Bits per weight count
// the tensor data of the output against the model's parameters, as the label tables and
// `quantize` report them; a file size counts the whole output file (header, metadata, tensor
// data and alignment padding). Bad text throws qb::Error (BadInput) naming the option.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qb {

struct SizeTarget {
    enum class Kind { FileBytes, BitsPerWeight };
    Kind kind = Kind::FileBytes;
    uint64_t bytes = 0;        // FileBytes: the largest allowed output file
    double bitsPerWeight = 0;  // BitsPerWeight: the largest allowed tensor data, 8·bytes / parameters

    static SizeTarget fileBytes(uint64_t bytes);
    static SizeTarget bpw(double bits);
    std::string describe() const;  // "4200000000 bytes" or "4.5 bits per weight"
};

// option: the option name for messages ("--target-size").
SizeTarget parseSizeTarget(std::string_view text, const std::string &option = "--target-size");
SizeTarget parseBitsPerWeight(std::string_view text, const std::string &option = "--target-bpw");

} // namespace qb
