#include "optimize/size_target.h"

#include "error.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace qb {
namespace {

std::string lower(std::string_view s) {
    std::string out;
    for (char c : s) out.push_back(char(std::tolower(static_cast<unsigned char>(c))));
    return out;
}

} // namespace

SizeTarget SizeTarget::fileBytes(uint64_t bytes) {
    SizeTarget t;
    t.kind = Kind::FileBytes;
    t.bytes = bytes;
    return t;
}

SizeTarget SizeTarget::bpw(double bits) {
    SizeTarget t;
    t.kind = Kind::BitsPerWeight;
    t.bitsPerWeight = bits;
    return t;
}

std::string SizeTarget::describe() const {
    char buf[64];
    if (kind == Kind::FileBytes)
        std::snprintf(buf, sizeof buf, "%llu bytes", (unsigned long long)bytes);
    else
        std::snprintf(buf, sizeof buf, "%g bits per weight", bitsPerWeight);
    return buf;
}

SizeTarget parseSizeTarget(std::string_view text, const std::string &option) {
    const auto fail = [&](const std::string &why) -> SizeTarget {
        throw Error(option + " '" + std::string(text) + "': " + why +
                    " (expected bytes, or a number with kB, MB, GB, TB, KiB, MiB, GiB or TiB)");
    };
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data()) return fail("no number");
    std::string_view unit = text.substr(size_t(end - text.data()));
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    const std::string u = lower(unit);
    double scale = 0;
    if (u.empty() || u == "b") scale = 1;
    else if (u == "kb") scale = 1e3;
    else if (u == "mb") scale = 1e6;
    else if (u == "gb") scale = 1e9;
    else if (u == "tb") scale = 1e12;
    else if (u == "kib") scale = 1024.0;
    else if (u == "mib") scale = 1024.0 * 1024;
    else if (u == "gib") scale = 1024.0 * 1024 * 1024;
    else if (u == "tib") scale = 1024.0 * 1024 * 1024 * 1024;
    else return fail("unknown unit '" + std::string(unit) + "'");
    if (!std::isfinite(value) || value <= 0) return fail("the size must be a positive number");
    if (scale == 1 && value != std::floor(value)) return fail("a size in bytes must be a whole number");
    const double bytes = std::floor(value * scale);  // "at most": a fraction of a byte rounds down
    if (bytes >= 9.2e18) return fail("the size is too large");
    return SizeTarget::fileBytes(uint64_t(bytes));
}

SizeTarget parseBitsPerWeight(std::string_view text, const std::string &option) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value <= 0 || value > 64)
        throw Error(option + " '" + std::string(text) + "': expected a number of bits per weight above 0, at most 64");
    return SizeTarget::bpw(value);
}

} // namespace qb
