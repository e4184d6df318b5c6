// GGUF metadata values: the 13 value types of the format, arrays (of arrays) included.
//
// Contract: GgufValue's variant index equals the GGUF value-type id, so a value read from a
// file and written back keeps its exact type; nothing is widened or narrowed on the way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace qb {

enum class GgufValueType : uint32_t {
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6,
    Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
};
inline constexpr uint32_t kGgufValueTypeCount = 13;

const char *ggufValueTypeName(GgufValueType type);

struct GgufValue;

struct GgufArray {
    GgufValueType elementType = GgufValueType::UInt8;
    std::vector<GgufValue> items;
};

struct GgufValue {
    using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool, std::string,
                                 GgufArray, uint64_t, int64_t, double>;
    Storage value;

    GgufValue() = default;
    template <typename T>
    explicit GgufValue(T v) : value(std::move(v)) {}

    GgufValueType type() const { return GgufValueType(value.index()); }
    bool isArray() const { return type() == GgufValueType::Array; }
    const GgufArray *array() const { return std::get_if<GgufArray>(&value); }
    const std::string *string() const { return std::get_if<std::string>(&value); }

    // Any integer or bool as int64 (uint64 above INT64_MAX gives nullopt); nullopt otherwise.
    std::optional<int64_t> toInt() const;
    // Any number as double; nullopt otherwise.
    std::optional<double> toDouble() const;

    // Human-readable form; arrays longer than maxItems are summarised with their count.
    std::string toDisplayString(size_t maxItems = 8) const;
};

struct GgufKeyValue {
    std::string key;
    GgufValue value;
};

} // namespace qb
