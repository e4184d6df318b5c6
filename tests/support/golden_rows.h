// The golden rows the kernel tests quantize: blk.0.ffn_up.weight of tiny.f16.gguf (512 x 256) as
// F32, and its importance vector from imatrix/tiny.f16.with-embd.imatrix.dat, the matrix the golden
// README says the IQ2/IQ1 golden rows were made with. Read once per test process.
#pragma once

#include <vector>

namespace qbtest {

struct GoldenRows {
    std::vector<float> weights;
    std::vector<float> importance;
};

const GoldenRows &tinyFfnUpRows();

} // namespace qbtest
