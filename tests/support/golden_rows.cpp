#include "golden_rows.h"

#include "golden.h"
#include "imatrix/importance_matrix.h"

namespace qbtest {

const GoldenRows &tinyFfnUpRows() {
    static const GoldenRows rows = [] {
        GoldenRows out;
        const auto model = qb::GgufFile::open(golden("models/tiny.f16.gguf"));
        out.weights = tensorAsF32(*model, "blk.0.ffn_up.weight");
        const auto im = qb::ImportanceMatrix::load(golden("imatrix/tiny.f16.with-embd.imatrix.dat"));
        out.importance = *im.find("blk.0.ffn_up.weight");
        return out;
    }();
    return rows;
}

} // namespace qbtest
