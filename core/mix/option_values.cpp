// Option values: the parsing quantbench-cli's quantize command applies to its arguments.
#include "mix/option_values.h"

#include "bounded_read.h"
#include "error.h"
#include "mix/tensor_pattern.h"


namespace qb {
namespace {

// What std::istream >> std::string skips in the "C" locale.
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

} // namespace

std::string llamaQuantizePattern(std::string_view pattern) {
    std::string out(pattern);
    for (char &c : out)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return out;
}

GgmlType parseTypeOption(std::string_view name, const std::string &option) {
    const auto t = typeFromName(name);
    if (!t) throw Error(option + ": unknown type '" + std::string(name) + "'");
    return *t;
}

TensorTypeOverride parseTensorTypeOption(std::string_view text, const std::string &origin) {
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
        throw Error(origin + " '" + std::string(text) + "': expected PATTERN=TYPE");
    TensorTypeOverride o{llamaQuantizePattern(text.substr(0, eq)), parseTypeOption(text.substr(eq + 1), origin)};
    if (const auto why = TensorPattern::problem(o.pattern)) throw Error(origin + ": " + *why);
    return o;
}

std::vector<TensorTypeOverride> parseTensorTypeList(std::string_view text, const std::string &origin) {
    std::vector<TensorTypeOverride> out;
    size_t pos = 0;
    while (true) {
        while (pos < text.size() && isSpace(text[pos]))
            ++pos;
        if (pos == text.size()) break;
        size_t end = pos;
        while (end < text.size() && !isSpace(text[end]))
            ++end;
        if (out.size() >= kMaxTensorTypeEntries)
            throw Error(origin + ": more than " + std::to_string(kMaxTensorTypeEntries) + " entries");
        out.push_back(parseTensorTypeOption(text.substr(pos, end - pos), origin));
        pos = end;
    }
    return out;
}

std::vector<TensorTypeOverride> readTensorTypeFile(const std::string &path) {
    const std::string origin = "--tensor-type-file " + path;
    // Read nothing huge: a file without whitespace would otherwise be one giant entry in memory,
    // and a pipe or /dev/zero would never end.
    const std::string text = readBoundedFile(path, kMaxTensorTypeFileBytes, "--tensor-type-file: cannot open " + path,
                                             origin + ": larger than " + std::to_string(kMaxTensorTypeFileBytes >> 20) +
                                                 " MiB");
    return parseTensorTypeList(text, origin);
}

} // namespace qb
