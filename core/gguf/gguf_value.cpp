#include "gguf/gguf_value.h"

#include "gguf/utf8.h"

#include <cstdio>
#include <limits>

namespace qb {

const char *ggufValueTypeName(GgufValueType type) {
    static constexpr const char *kNames[] = {"u8",  "i8",   "u16",   "i16", "u32", "i32", "f32",
                                             "bool", "str", "arr", "u64", "i64", "f64"};
    const auto i = uint32_t(type);
    return i < kGgufValueTypeCount ? kNames[i] : "?";
}

std::optional<int64_t> GgufValue::toInt() const {
    return std::visit(
        [](const auto &v) -> std::optional<int64_t> {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, uint64_t>) {
                if (v > uint64_t(std::numeric_limits<int64_t>::max())) return std::nullopt;
                return int64_t(v);
            } else if constexpr (std::is_integral_v<T>) {
                return int64_t(v);
            } else {
                return std::nullopt;
            }
        },
        value);
}

std::optional<double> GgufValue::toDouble() const {
    return std::visit(
        [](const auto &v) -> std::optional<double> {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_arithmetic_v<T>) return double(v);
            else return std::nullopt;
        },
        value);
}

namespace {

std::string quoted(const std::string &s, size_t maxChars) {
    std::string out = "\"";
    const size_t n = std::min(s.size(), maxChars);
    for (size_t i = 0; i < n; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        // GGUF strings must be UTF-8; bytes that are not part of a valid character are shown as
        // \xNN (unambiguous: a backslash itself is escaped), never passed on to a terminal or widget.
        if (c >= 0x80) {
            const size_t len = utf8CharLength(s, i);
            if (len == 0 || i + len > n) {
                if (len != 0) break;  // a valid character cut by the length limit: stop before it
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                out += buf;
                continue;
            }
            out.append(s, i, len);
            i += len - 1;
            continue;
        }
        if (c == '"' || c == '\\') { out += '\\'; out += char(c); }
        else if (c == '\n') out += "\\n";
        else if (c < 0x20) { char buf[8]; std::snprintf(buf, sizeof buf, "\\x%02x", c); out += buf; }
        else out += char(c);
    }
    if (s.size() > maxChars) out += "…";
    return out + "\"";
}

} // namespace

std::string GgufValue::toDisplayString(size_t maxItems) const {
    return std::visit(
        [maxItems](const auto &v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) {
                return quoted(v, 200);
            } else if constexpr (std::is_same_v<T, GgufArray>) {
                std::string out = "[";
                const size_t n = std::min(v.items.size(), maxItems);
                for (size_t i = 0; i < n; ++i) {
                    if (i) out += ", ";
                    out += v.items[i].toDisplayString(maxItems);
                }
                if (v.items.size() > n) out += ", … (" + std::to_string(v.items.size()) + " items)";
                return out + "]";
            } else if constexpr (std::is_same_v<T, bool>) {
                return v ? "true" : "false";
            } else if constexpr (std::is_floating_point_v<T>) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.9g", double(v));
                return buf;
            } else {
                return std::to_string(v);
            }
        },
        value);
}

} // namespace qb
