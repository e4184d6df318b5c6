#include "bounded_read.h"

#include "error.h"

#include <algorithm>
#include <fstream>

namespace qb {

std::string readBoundedFile(const std::filesystem::path &path, size_t maxBytes, const std::string &cannotOpen,
                            const std::string &tooLarge) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(cannotOpen);
    std::string text;
    constexpr size_t kChunk = 64 * 1024;
    // One byte past the limit tells "exactly maxBytes" from "more"; nothing beyond it is read.
    while (text.size() <= maxBytes) {
        const size_t at = text.size();
        const size_t want = std::min(kChunk, maxBytes + 1 - at);
        text.resize(at + want);
        in.read(text.data() + at, std::streamsize(want));
        text.resize(at + size_t(in.gcount()));
        if (in.eof()) break;
        if (!in) throw Error(cannotOpen + " (read error)");
    }
    if (text.size() > maxBytes) throw Error(tooLarge);
    return text;
}

} // namespace qb
