#include "gguf/gguf_model.h"

#include "error.h"

#include <optional>
#include <unordered_map>

namespace qb {

namespace fs = std::filesystem;

namespace {

// The file name of one part of a split set as llama.cpp's gguf-split names it:
// <prefix>-<no>-of-<count>.gguf, numbers 1-based and zero-padded (5 digits there).
struct SplitName {
    std::string prefix;
    std::string noText;
    std::string countText;
    uint64_t no = 0;
    uint64_t count = 0;

    static std::optional<SplitName> parse(const fs::path &path) {
        std::string name = path.filename().string();
        const std::string ext = ".gguf";
        if (name.size() <= ext.size() || name.compare(name.size() - ext.size(), ext.size(), ext) != 0)
            return std::nullopt;
        name.resize(name.size() - ext.size());
        const size_t of = name.rfind("-of-");
        if (of == std::string::npos) return std::nullopt;
        const size_t dash = name.rfind('-', of == 0 ? 0 : of - 1);
        if (dash == std::string::npos || of == 0) return std::nullopt;
        SplitName s;
        s.prefix = name.substr(0, dash);
        s.noText = name.substr(dash + 1, of - dash - 1);
        s.countText = name.substr(of + 4);
        if (!parseNumber(s.noText, s.no) || !parseNumber(s.countText, s.count)) return std::nullopt;
        return s;
    }

    // 1 to 9 decimal digits, nothing else.
    static bool parseNumber(const std::string &text, uint64_t &value) {
        if (text.empty() || text.size() > 9) return false;
        value = 0;
        for (char c : text) {
            if (c < '0' || c > '9') return false;
            value = value * 10 + uint64_t(c - '0');
        }
        return true;
    }

    // Part i (1-based), formatted with the width the given file uses.
    std::string nameOf(uint64_t i) const {
        std::string digits = std::to_string(i);
        if (digits.size() < noText.size()) digits.insert(0, noText.size() - digits.size(), '0');
        return prefix + "-" + digits + "-of-" + countText + ".gguf";
    }
};

std::optional<int64_t> splitKey(const GgufFile &file, const char *key) {
    const GgufValue *v = file.find(key);
    if (!v) return std::nullopt;
    const std::optional<int64_t> n = v->toInt();
    if (!n || v->type() == GgufValueType::Bool)
        throw Error(file.sourceName() + ": key '" + key + "' must be an integer, not " + ggufValueTypeName(v->type()));
    return n;
}

int64_t requiredSplitKey(const GgufFile &file, const char *key) {
    const std::optional<int64_t> n = splitKey(file, key);
    if (!n) throw Error(file.sourceName() + ": part of a split set but key '" + std::string(key) + "' is missing");
    return *n;
}

} // namespace

// Builds a model from one file or from every file of a split set.
class GgufModelLoader {
public:
    static std::unique_ptr<GgufModel> open(const fs::path &path) {
        std::unique_ptr<GgufFile> given = GgufFile::open(path);
        const std::optional<int64_t> count = splitKey(*given, "split.count");
        // Files without split keys are single models, even when their name looks like a part.
        if (!count || (*count == 1 && !SplitName::parse(path))) return single(path, std::move(given));
        return splitSet(path, std::move(given), *count);
    }

private:
    static std::unique_ptr<GgufModel> single(const fs::path &path, std::unique_ptr<GgufFile> file) {
        auto model = std::make_unique<GgufModel>();
        model->m_splits.push_back(std::move(file));
        model->m_paths.push_back(path);
        for (const auto &info : model->m_splits.front()->tensors()) model->m_tensors.push_back({&info, 0});
        return model;
    }

    static std::unique_ptr<GgufModel> splitSet(const fs::path &path, std::unique_ptr<GgufFile> given, int64_t count) {
        const std::string source = given->sourceName();
        if (count < 1 || count > 65535)
            throw Error(source + ": split.count is " + std::to_string(count) + " (must be 1 to 65535)");
        const std::optional<SplitName> name = SplitName::parse(path);
        if (!name)
            throw Error(source + ": has split.count " + std::to_string(count) +
                        " but its name is not of the form <name>-00001-of-" + std::to_string(count) +
                        ".gguf, so the other parts cannot be found");
        if (name->count != uint64_t(count))
            throw Error(source + ": the name says " + std::to_string(name->count) + " parts but split.count is " +
                        std::to_string(count));
        if (name->no < 1 || name->no > uint64_t(count))
            throw Error(source + ": the name says part " + std::to_string(name->no) + " of " +
                        std::to_string(count));

        auto model = std::make_unique<GgufModel>();
        const fs::path folder = path.parent_path();
        for (int64_t i = 0; i < count; ++i) {
            const fs::path part = folder / name->nameOf(uint64_t(i) + 1);
            std::unique_ptr<GgufFile> file;
            if (uint64_t(i) + 1 == name->no) {
                file = std::move(given);
            } else {
                std::error_code ec;
                if (!fs::exists(part, ec))
                    throw Error("split set of " + source + ": part " + std::to_string(i + 1) + " of " +
                                std::to_string(count) + " '" + part.string() + "' is missing");
                file = GgufFile::open(part);
            }
            checkPart(*file, i, count);
            model->m_splits.push_back(std::move(file));
            model->m_paths.push_back(part);
        }

        const GgufFile &first = *model->m_splits.front();
        const int64_t expected = requiredSplitKey(first, "split.tensors.count");
        // Every part may state the total; they must all agree with the first.
        for (const auto &file : model->m_splits)
            if (const auto n = splitKey(*file, "split.tensors.count"); n && *n != expected)
                throw Error(file->sourceName() + ": split.tensors.count is " + std::to_string(*n) + " but " +
                            first.sourceName() + " says " + std::to_string(expected));

        std::unordered_map<std::string_view, size_t> owner;
        for (size_t s = 0; s < model->m_splits.size(); ++s) {
            for (const GgufTensorInfo &info : model->m_splits[s]->tensors()) {
                const auto [it, inserted] = owner.emplace(info.name, s);
                if (!inserted)
                    throw Error(model->m_splits[s]->sourceName() + ": tensor '" + info.name + "' is also in " +
                                model->m_splits[it->second]->sourceName());
                model->m_tensors.push_back({&info, s});
            }
        }
        if (int64_t(model->m_tensors.size()) != expected)
            throw Error(first.sourceName() + ": split.tensors.count is " + std::to_string(expected) + " but the " +
                        std::to_string(count) + " parts hold " + std::to_string(model->m_tensors.size()) +
                        " tensors");
        return model;
    }

    // split.no is 0-based in the file (gguf-split writes the loop index) while names are 1-based.
    static void checkPart(const GgufFile &file, int64_t index, int64_t count) {
        const int64_t no = requiredSplitKey(file, "split.no");
        if (no != index)
            throw Error(file.sourceName() + ": split.no is " + std::to_string(no) + " but the file is part " +
                        std::to_string(index + 1) + " of its set (split.no " + std::to_string(index) + " expected)");
        const int64_t n = requiredSplitKey(file, "split.count");
        if (n != count)
            throw Error(file.sourceName() + ": split.count is " + std::to_string(n) + " but the set has " +
                        std::to_string(count) + " parts");
    }
};

std::unique_ptr<GgufModel> GgufModel::open(const std::filesystem::path &path) { return GgufModelLoader::open(path); }

const GgufModel::Tensor *GgufModel::findTensor(std::string_view name) const {
    for (const auto &t : m_tensors)
        if (t.info->name == name) return &t;
    return nullptr;
}

std::span<const uint8_t> GgufModel::tensorData(const Tensor &tensor) const {
    return m_splits.at(tensor.split)->tensorData(*tensor.info);
}

uint64_t GgufModel::totalFileSize() const {
    uint64_t total = 0;
    for (const auto &s : m_splits) total += s->fileSize();
    return total;
}

uint64_t GgufModel::parameterCount() const {
    uint64_t total = 0;
    for (const auto &t : m_tensors) total += uint64_t(t.info->elements());
    return total;
}

uint64_t GgufModel::tensorBytes() const {
    uint64_t total = 0;
    for (const auto &t : m_tensors) total += t.info->nbytes;
    return total;
}

} // namespace qb
