#include "eval/same_model_check.h"

#include "error.h"
#include "gguf/gguf_model.h"

#include <bit>
#include <set>
#include <variant>

namespace qb::eval {
namespace {

std::string shape(const GgufTensorInfo &t) {
    std::string s;
    for (uint32_t d = 0; d < t.nDims; ++d) s += (d ? "x" : "") + std::to_string(t.ne[d]);
    return s;
}

// Exact equality, floats by their bits: a NaN score equals itself, 0.0 and -0.0 differ (the
// tokenizer reads the bits as they are).
bool sameValue(const GgufValue &a, const GgufValue &b) {
    if (a.type() != b.type()) return false;
    return std::visit(
        [&b](const auto &x) {
            using T = std::decay_t<decltype(x)>;
            const T &y = std::get<T>(b.value);
            if constexpr (std::is_same_v<T, GgufArray>) {
                if (x.elementType != y.elementType || x.items.size() != y.items.size()) return false;
                for (size_t i = 0; i < x.items.size(); ++i)
                    if (!sameValue(x.items[i], y.items[i])) return false;
                return true;
            } else if constexpr (std::is_same_v<T, float>) {
                return std::bit_cast<uint32_t>(x) == std::bit_cast<uint32_t>(y);
            } else if constexpr (std::is_same_v<T, double>) {
                return std::bit_cast<uint64_t>(x) == std::bit_cast<uint64_t>(y);
            } else {
                return x == y;
            }
        },
        a.value);
}

// What differs between two values of one key, for the message: the first differing entry of an array.
std::string difference(const std::string &key, const GgufValue &candidate, const GgufValue &base) {
    const auto *ca = candidate.array();
    const auto *ba = base.array();
    if (ca && ba && ca->elementType == ba->elementType) {
        if (ca->items.size() != ba->items.size())
            return key + " has " + std::to_string(ca->items.size()) + " entries, the base's " + std::to_string(ba->items.size());
        for (size_t i = 0; i < ca->items.size(); ++i)
            if (!sameValue(ca->items[i], ba->items[i]))
                return key + "[" + std::to_string(i) + "] is " + ca->items[i].toDisplayString() + ", the base's " +
                       ba->items[i].toDisplayString();
    }
    return key + " is " + candidate.toDisplayString() + ", the base's " + base.toDisplayString();
}

bool isTokenizerKey(const std::string &key) { return key.starts_with("tokenizer.ggml."); }

} // namespace

void checkSameModel(const GgufModel &base, const GgufModel &candidate, const std::string &name) {
    const std::string notOurs = name + " is not a quantization of the base model: ";
    for (const auto &t : base.tensors()) {
        const auto *c = candidate.findTensor(t.info->name);
        if (!c) throw Error(notOurs + "it has no tensor " + t.info->name);
        if (c->info->ne != t.info->ne)
            throw Error(notOurs + "tensor " + t.info->name + " is " + shape(*c->info) + ", the base's " + shape(*t.info));
    }
    if (candidate.tensors().size() != base.tensors().size())
        throw Error(notOurs + "it has " + std::to_string(candidate.tensors().size()) + " tensors, the base " +
                    std::to_string(base.tensors().size()));

    // Every tokenizer key of either file, in a stable order.
    std::set<std::string> keys;
    for (const auto &kv : base.metadata())
        if (isTokenizerKey(kv.key)) keys.insert(kv.key);
    for (const auto &kv : candidate.metadata())
        if (isTokenizerKey(kv.key)) keys.insert(kv.key);
    const std::string otherVocabulary = name + " has another vocabulary than the base model: ";
    for (const auto &key : keys) {
        const GgufValue *b = base.find(key);
        const GgufValue *c = candidate.find(key);
        if (!b) throw Error(otherVocabulary + key + " is set, the base has none");
        if (!c) throw Error(otherVocabulary + key + " is missing");
        if (!sameValue(*c, *b)) throw Error(otherVocabulary + difference(key, *c, *b));
    }
}

} // namespace qb::eval

namespace qb::eval {

void checkCandidateFile(const GgufModel &base, const std::filesystem::path &candidate, const std::string &name) {
    std::unique_ptr<GgufModel> model;
    try {
        model = GgufModel::open(candidate);
    } catch (const Error &e) {
        throw Error("candidate " + candidate.string() + ": " + e.what(), ErrorKind::BadInput);
    }
    checkSameModel(base, *model, name);
}

} // namespace qb::eval
