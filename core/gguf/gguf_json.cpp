#include "gguf/gguf_json.h"

#include "gguf/utf8.h"

#include <cmath>

namespace qb {

nlohmann::json toJson(const GgufValue &value) {
    return std::visit(
        [](const auto &v) -> nlohmann::json {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, GgufArray>) {
                nlohmann::json arr = nlohmann::json::array();
                for (const auto &item : v.items) arr.push_back(toJson(item));
                return arr;
            } else if constexpr (std::is_floating_point_v<T>) {
                return std::isfinite(v) ? nlohmann::json(double(v)) : nlohmann::json(nullptr);
            } else if constexpr (std::is_same_v<T, std::string>) {
                // GGUF strings must be UTF-8; invalid bytes are shown as \xNN text rather than
                // replaced by U+FFFD, so what the file holds stays visible.
                return firstInvalidUtf8(v) ? nlohmann::json(escapeInvalidUtf8(v)) : nlohmann::json(v);
            } else {
                return nlohmann::json(v);
            }
        },
        value.value);
}

std::string typeDescription(const GgufValue &value) {
    if (const GgufArray *arr = value.array()) {
        if (arr->elementType == GgufValueType::Array && !arr->items.empty())
            return "arr[" + typeDescription(arr->items.front()) + "]";
        return std::string("arr[") + ggufValueTypeName(arr->elementType) + "]";
    }
    return ggufValueTypeName(value.type());
}

} // namespace qb
